/// The ITU-T G.107 E-model, in the simplified form used by VoIP monitors (RFC 3611 §4.7.5
/// R-factor, Cole & Rosenbluth 2001): R = R0 − Is − Id − Ie,eff + A with the G.107 default
/// R0 − Is = 93.2, A = 0 (a fixed-line expectation), no echo or noise impairments:
///
/// * delay: Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), d the one-way mouth-to-ear delay in ms
///   (Cole & Rosenbluth's fit of G.107's Idd for a well-cancelled echo path);
/// * loss: Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl/BurstR + Bpl), Ppl the effective loss in percent
///   *after* FEC/redundancy recovery and BurstR the burst ratio (1 for random loss);
/// * MOS = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R) for 0 < R < 100, 1 below, 4.5 above.
///
/// **Codec values for Opus: Ie = 0, Bpl = 25.1.** ITU-T G.113 lists no Ie/Bpl for Opus. The
/// narrowband E-model (R0 = 93.2) is anchored on G.711, whose Ie is 0; Opus at the bitrates used
/// here (≥ 16 kb/s, wideband or better) is at least as good as G.711 in listening tests, and the
/// narrowband scale cannot credit it with more, so Ie = 0. For loss we take the packet-loss
/// robustness of the best-concealing codec G.113 tabulates: G.711 *with* packet-loss
/// concealment (G.711 Appendix I), Bpl = 25.1 (ITU-T G.113 Appendix I, provisional planning
/// values; G.711 without PLC has Bpl = 4.3). Opus's decoder conceals losses (SILK's LPC
/// extrapolation, CELT's pitch-based PLC) at least as well as G.711 Appendix I, and FEC/RED
/// recovery is already removed from Ppl, so borrowing this value is conservative rather than
/// flattering. Consequence: on a clean path the score is limited only by delay (R = 93.2,
/// MOS 4.41 at d = 0); 1 % random effective loss costs ≈ 3.6 R points, 5 % ≈ 15.8.
public enum EModel {
    /// Equipment impairment of the codec (Opus, see above).
    public static let opusIe = 0.0
    /// Packet-loss robustness of the codec (Opus, see above).
    public static let opusBpl = 25.1
    /// G.107 default R0 − Is.
    public static let defaultR0 = 93.2

    /// Cole & Rosenbluth's delay impairment for one-way delay `d` ms (negative delay counts as 0).
    public static func delayImpairment(oneWayMilliseconds d: Double) -> Double {
        let delay = d.isFinite ? max(0, d) : 0
        return 0.024 * delay + (delay > 177.3 ? 0.11 * (delay - 177.3) : 0)
    }

    /// G.107 effective equipment impairment for `ppl` percent effective loss (clamped to 0…100)
    /// with burst ratio `burstR` (≤ 0 or non-finite treated as 1, random loss).
    public static func effectiveEquipmentImpairment(
        ppl: Double, burstR: Double, ie: Double = opusIe, bpl: Double = opusBpl
    ) -> Double {
        let loss = ppl.isFinite ? min(100, max(0, ppl)) : 0
        let ratio = burstR.isFinite && burstR > 0 ? burstR : 1
        let denominator = loss / ratio + bpl
        guard denominator > 0 else { return ie }
        return ie + (95 - ie) * loss / denominator
    }

    /// The rating R (not clamped: it may fall below 0 on a hopeless path).
    public static func rFactor(
        oneWayDelayMilliseconds d: Double, ppl: Double, burstR: Double = 1, ie: Double = opusIe,
        bpl: Double = opusBpl
    ) -> Double {
        defaultR0 - delayImpairment(oneWayMilliseconds: d)
            - effectiveEquipmentImpairment(ppl: ppl, burstR: burstR, ie: ie, bpl: bpl)
    }

    /// G.107 Annex B conversion of R to an estimated MOS (CQE), clamped to [1, 4.5].
    public static func mos(rFactor r: Double) -> Double {
        guard r.isFinite else { return 1 }
        if r <= 0 { return 1 }
        if r >= 100 { return 4.5 }
        let mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)
        return min(4.5, max(1, mos))
    }

    /// The burst ratio of a loss pattern by the 2-state Markov fit in G.107's definition of BurstR:
    /// p = P(loss | previous frame fine), r = P(fine | previous frame lost), BurstR = 1/(p + r);
    /// for independent losses p + r = 1 and BurstR = 1, for clustered losses it exceeds 1.
    /// `lost` is the per-frame sequence in playout order (`true` = concealed). With no loss, or
    /// no observed transition to fit, the losses are taken as random (1).
    public static func burstRatio(lost: [Bool]) -> Double {
        var fineFollowed = 0, fineToLost = 0, lostFollowed = 0, lostToFine = 0
        var previous: Bool?
        for flag in lost {
            if let previous {
                if previous {
                    lostFollowed += 1
                    if !flag { lostToFine += 1 }
                } else {
                    fineFollowed += 1
                    if flag { fineToLost += 1 }
                }
            }
            previous = flag
        }
        guard lostFollowed > 0, fineFollowed > 0 else { return 1 }
        let p = Double(fineToLost) / Double(fineFollowed)
        let r = Double(lostToFine) / Double(lostFollowed)
        guard p + r > 0 else { return 1 }
        return 1 / (p + r)
    }
}
