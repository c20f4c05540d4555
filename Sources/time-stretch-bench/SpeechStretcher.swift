/// One time-scale modification algorithm, driven through a whole recording.
protocol SpeechStretcher {
    /// Short name for the tables.
    var name: String { get }
    /// `input` played at the schedule's factors (48 kHz mono).
    mutating func stretch(_ input: [Float], schedule: RateSchedule) -> [Float]
}
