/// Which way audio flows through a device.
public enum AudioDirection: String, Sendable, Equatable, CaseIterable {
    case input
    case output
}
