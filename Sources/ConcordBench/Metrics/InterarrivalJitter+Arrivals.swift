import Concord

extension InterarrivalJitter {
    /// Duplicated datagrams (a sequence number already seen) are skipped: a receiver's RTP stack
    /// drops them before its statistics, and a duplicate's D is a property of the duplicating
    /// link, not of the stream's timing.
    ///
    /// The estimate at the end of a stream's arrivals (given in arrival order), ms; 0 with fewer
    /// than two arrivals.
    public static func milliseconds(arrivals: [ArrivalRecord], clockRate: Double = Double(AudioFormat.sampleRate)) -> Double {
        var jitter = InterarrivalJitter(clockRate: clockRate)
        var seen = Set<Int64>()
        seen.reserveCapacity(arrivals.count)
        for arrival in arrivals where seen.insert(arrival.sequence).inserted {
            jitter.add(arrivalUnits: arrival.arrivalTime.seconds * jitter.clockRate, timestamp: arrival.timestamp)
        }
        return jitter.jitterMilliseconds
    }
}
