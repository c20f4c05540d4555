/// The file names inside a `concord join --stream-log` folder, shared by the client that writes
/// it and the bench that reads it back (`concord-bench run --live`).
public enum StreamLogFiles {
    public static let sent = "sent.csv"
    public static let arrivals = "arrivals.csv"
    public static let playout = "playout.csv"
    public static let room = "room.csv"
    public static let statistics = "statistics.json"

    /// What the client played of `peer`: its id with anything but ASCII letters, digits, `-`,
    /// `_` and `.` as `_` (a peer id is any string, a file name is not).
    public static func track(of peer: String) -> String {
        "track-" + String(peer.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" }) + ".wav"
    }
}
