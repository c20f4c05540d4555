import DequeModule

/// The transit time (arrival − media time) a packet is measured against: the fastest recent
/// packet's, carried forward along a steady rise.
///
/// Relative arrival delay is measured against the fastest packet of the last 2 s, as NetEq does,
/// so a constant path delay or sender/receiver clock offset drops out. That reference trails a
/// delay that keeps rising — a queue filling behind a competing upload — by the whole window:
/// every new packet then sits at the top of the relative delays, above any quantile the target
/// takes, and is late, packet after packet. So while the transit rises significantly (the
/// slope of an exponentially weighted least-squares fit over about a second, less two standard
/// errors, stays above zero), each earlier packet's transit is carried forward at that slope
/// before the minimum is taken: the reference rises with the queue, the relative delays are
/// the jitter around the rise, and the playout delay grows with it. A falling delay needs no
/// help (its new minimum is the newest packet), nor does a stationary one (its slope is not
/// significant), and then this is exactly the window minimum.
struct TransitBaseline {
    private var window: Deque<(arrival: Double, transit: Double)> = []
    let windowMilliseconds: Double
    /// The reference after the last arrival.
    private(set) var current: Double?
    /// The significant rise (ms of transit per ms), ≥ 0.
    private(set) var rise = 0.0
    private var fit = TrendFit(timeConstantMilliseconds: 500)
    private var envelope = RisingEnvelope()

    init(windowMilliseconds: Double = 2_000) {
        self.windowMilliseconds = windowMilliseconds
    }

    /// Records an arrival (ms on the receiver's clock) and returns the reference including it.
    mutating func add(arrival: Instant, transitMilliseconds transit: Double) -> Double {
        let now = arrival.milliseconds
        fit.add(time: now, value: transit)
        envelope.add(time: now, value: transit)
        rise = max(fit.significantRise, envelope.rise)
        while let first = window.first, now - first.arrival > windowMilliseconds { window.removeFirst() }
        window.append((now, transit))
        var minimum = transit
        if rise > 0 {
            for entry in window { minimum = min(minimum, entry.transit + rise * (now - entry.arrival)) }
        } else {
            for entry in window { minimum = min(minimum, entry.transit) }
        }
        current = minimum
        return minimum
    }
}

/// A straight line through (time, value) points, older points weighing e^(−age/τ): its slope and
/// the slope's standard error.
struct TrendFit {
    let timeConstant: Double
    private var origin: (time: Double, value: Double)?
    private var lastTime = 0.0
    // Weighted sums of 1, t, t², x, t·x, x² (t and x from `origin`, so they stay small).
    private var s0 = 0.0, st = 0.0, stt = 0.0, sx = 0.0, stx = 0.0, sxx = 0.0

    init(timeConstantMilliseconds: Double) {
        timeConstant = timeConstantMilliseconds
    }

    mutating func add(time: Double, value: Double) {
        guard time.isFinite, value.isFinite else { return }
        if origin == nil { origin = (time, value) }
        guard let origin else { return }
        let decay = time > lastTime ? Self.exponentialDecay((time - lastTime) / timeConstant) : 1
        lastTime = max(lastTime, time)
        let t = (time - origin.time) / timeConstant, x = value - origin.value
        s0 = s0 * decay + 1
        st = st * decay + t
        stt = stt * decay + t * t
        sx = sx * decay + x
        stx = stx * decay + t * x
        sxx = sxx * decay + x * x
    }

    /// The slope less two standard errors (value per ms), or 0 when that is not above zero or
    /// there are too few points.
    var significantRise: Double {
        guard s0 >= 8 else { return 0 }
        let meanT = st / s0, meanX = sx / s0
        let varT = stt / s0 - meanT * meanT
        guard varT > 1e-9 else { return 0 }
        let cov = stx / s0 - meanT * meanX
        let slope = cov / varT
        let residual = max(0, sxx / s0 - meanX * meanX - cov * slope)
        let standardError = (residual / (s0 * varT)).squareRoot()
        return max(0, slope - 2 * standardError) / timeConstant
    }

    /// e^(−y) for y ≥ 0 without Foundation: the reciprocal of a fourth-order Taylor series of
    /// e^(y/256), squared eight times (relative error below 2·10⁻⁶ up to y = 16; beyond, the
    /// weight is gone anyway).
    static func exponentialDecay(_ y: Double) -> Double {
        guard y < 16 else { return 0 }
        let z = y / 256
        var e = 1 / (1 + z * (1 + z / 2 * (1 + z / 3 * (1 + z / 4))))
        for _ in 0..<8 { e *= e }
        return e
    }
}

/// The minimum transit of each 100 ms of arrivals: when the last five minima each rose, by more
/// than a millisecond and more than half the spread of transits in either block, the path's
/// fastest packets are being held longer and longer — a queue filling — and the rise is their
/// slope. A least-squares fit over a second (`TrendFit`) sees such an onset late: its window
/// still holds the flat delay before it, and its line through the bend has large residuals.
/// Jitter spreads a block's transits over some range and moves its minimum by about as much at
/// random; a queue delays every packet alike, so the minima climb by the whole rise while a
/// block spreads over that rise plus the jitter. A spike's packets arrive bunched, their
/// transits falling, so its minima do not climb.
struct RisingEnvelope {
    static let blockMilliseconds = 100.0
    static let blocks = 5
    static let minimumStep = 1.0
    private struct Block {
        var index: Int
        /// The fastest packet's arrival time and transit, and the slowest's transit.
        var time: Double
        var minimum: Double
        var maximum: Double
    }
    private var recent: [Block] = []
    private(set) var rise = 0.0

    mutating func add(time: Double, value: Double) {
        // Arrival times are the receiver's clock; the bound only keeps the block index an Int.
        guard time.isFinite, value.isFinite, abs(time) < 1e15 else { return }
        let index = Int((time / Self.blockMilliseconds).rounded(.down))
        if let last = recent.last, last.index == index {
            if value < last.minimum { (recent[recent.count - 1].minimum, recent[recent.count - 1].time) = (value, time) }
            recent[recent.count - 1].maximum = max(last.maximum, value)
            return
        }
        // A new block: the ones before it are complete.
        recent.append(Block(index: index, time: time, minimum: value, maximum: value))
        if recent.count > Self.blocks + 1 { recent.removeFirst() }
        rise = 0
        guard recent.count == Self.blocks + 1 else { return }
        let complete = recent.dropLast()
        for (earlier, later) in zip(complete, complete.dropFirst()) {
            let spread = max(earlier.maximum - earlier.minimum, later.maximum - later.minimum)
            guard later.index == earlier.index + 1, later.minimum - earlier.minimum > max(Self.minimumStep, spread / 2)
            else { return }
        }
        guard let first = complete.first, let last = complete.last, last.index == index - 1, last.time > first.time
        else { return }
        rise = (last.minimum - first.minimum) / (last.time - first.time)
    }
}
