extension RoomNode {
    /// Counters for the bench (control bytes per second per peer, etc.) and for diagnosis.
    public struct Statistics: Sendable, Equatable, Codable {
        public var controlDatagramsSent = 0
        /// Room-control bytes (packet type 2) sent, broadcasts counted once.
        public var controlBytesSent = 0
        public var textDatagramsSent = 0
        public var textBytesSent = 0
        public var broadcastsSent = 0
        public var datagramsReceived = 0
        public var bytesReceived = 0
        /// Datagrams that did not parse (counted and dropped).
        public var malformedReceived = 0
        /// Well-formed datagrams for another room id.
        public var otherRoomReceived = 0
        public var suspicionsRaised = 0
        public var deathsDeclared = 0
        /// Times this node raised its incarnation to refute a suspicion, a death or an older life.
        public var refutations = 0
        /// Push-pull exchanges this node started after a digest mismatch or on meeting a member
        /// of another room.
        public var syncsStarted = 0
        public var textRetransmissions = 0
        /// Calls that came `RoomSettings.pauseThreshold` or more after the previous one: this
        /// node's own pauses, absorbed by granting every member a fresh grace period.
        public var pausesAbsorbed = 0
        /// Deaths reported by others of a member this node had heard directly within
        /// `suspectAfter`: kept in the view until the member refutes (SWIM's fresh-evidence rule).
        public var deathsDisbelieved = 0
        /// History requests sent (joining, to members entering the view, after being declared dead),
        /// retries included.
        public var historyRequestsSent = 0
    }
}
