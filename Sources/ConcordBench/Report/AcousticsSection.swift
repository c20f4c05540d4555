import Foundation

/// The participants' rooms in the reports: how much echo and noise reached each microphone and
/// what the capture processing left of it (`AcousticsReport` defines each figure).
enum AcousticsSection {
    static func html(_ r: AcousticsReport?) -> String {
        guard let r, !r.participants.isEmpty else { return "" }
        func f(_ v: Double?, _ format: String = "%.1f") -> String { v.map { String(format: format, $0) } ?? "—" }
        let rows = r.participants.map { p in
            "<tr><td>\(escapeHTML(p.name))</td><td class=\"num\">\(f(p.echoGainDB))</td>"
                + "<td class=\"num\">\(f(p.singleTalkSeconds))</td><td class=\"num\">\(f(p.doubleTalkSeconds))</td>"
                + "<td class=\"num\">\(f(p.echoReturnLossEnhancementDB))</td><td class=\"num\">\(f(p.convergenceSeconds, "%.2f"))</td>"
                + "<td class=\"num\">\(f(p.residualEchoDBFSP95))</td><td class=\"num\">\(f(p.residualEchoDBFSMax))</td>"
                + "<td class=\"num\">\(f(p.noiseReductionDB))</td>"
                + "<td class=\"num\">\(f(p.voiceDetectedInSpeech.map { $0 * 100 }, "%.0f"))</td>"
                + "<td class=\"num\">\(f(p.voiceDetectedInSingleTalk.map { $0 * 100 }, "%.0f"))</td>"
                + "<td class=\"num\">\(f(p.doubleTalkMOS, "%.2f"))</td><td class=\"num\">\(f(p.doubleTalkMOSUnprocessed, "%.2f"))</td>"
                + "<td class=\"num\">\(f(p.echoHeardAfterSeconds, "%.2f"))</td>"
                + "<td class=\"num\">\(f(p.echoBypassedShare.map { $0 * 100 }, "%.0f"))</td></tr>"
        }.joined(separator: "\n")
        return """
            <section>
            <h2>Echo and noise</h2>
            <p>\(escapeHTML(summary(r) ?? ""))</p>
            <p>Each listed participant's loudspeaker reaches its own microphone through its room; single talk is echo without the
            participant's voice, ERLE the echo against what was encoded then (from 2 s after the first echo), convergence the time
            to the first 0.5 s of single talk at 30 dB, the residual what was encoded during single talk. Voice detected: the share
            of frames of the participant's own speech, and of single talk (echo taken for speech), that the processor called voice.
            Double talk MOS: ViSQOL of the participant's voice during double talk, processed and as the microphone had it. Echo
            heard after: from the first echo to the processor's first "echo heard"; bypassed: the share of frames with echo that it
            sent past the canceller, having heard none.</p>
            <table><thead><tr><th>participant</th><th>echo gain (dB)</th><th>single talk (s)</th><th>double talk (s)</th>
            <th>ERLE (dB)</th><th>convergence (s)</th><th>residual p95 (dBFS)</th><th>residual max (dBFS)</th>
            <th>noise reduction (dB)</th><th>voice detected in speech (%)</th><th>voice detected in single talk (%)</th>
            <th>double talk MOS</th><th>double talk MOS unprocessed</th><th>echo heard after (s)</th>
            <th>echo frames bypassed (%)</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>

            """
    }

    static func summary(_ r: AcousticsReport?) -> String? {
        guard let r, !r.participants.isEmpty else { return nil }
        let parts = r.participants.map { p in
            var text = "\(p.name) ERLE \(p.echoReturnLossEnhancementDB.map { String(format: "%.1f dB", $0) } ?? "—")"
            if let max = p.residualEchoDBFSMax { text += String(format: ", residual ≤ %.1f dBFS", max) }
            if let c = p.convergenceSeconds { text += String(format: ", converged in %.2f s", c) }
            if let n = p.noiseReductionDB { text += String(format: ", noise reduced %.1f dB", n) }
            if let d = p.doubleTalkMOS {
                text += String(format: ", double talk MOS %.2f (unprocessed %.2f)", d, p.doubleTalkMOSUnprocessed ?? .nan)
            }
            if let v = p.voiceDetectedInSingleTalk { text += String(format: ", echo taken for voice %.0f%%", v * 100) }
            if let bypassed = p.echoBypassedShare {
                text += p.echoHeardAfterSeconds.map { String(format: ", echo heard after %.2f s", $0) } ?? ", echo never heard"
                if bypassed > 0 { text += String(format: " (%.0f%% of echo sent past the canceller)", bypassed * 100) }
            }
            return text
        }
        var line = "echo and noise (processing: \(r.processing)): " + parts.joined(separator: "; ")
        if let us = r.processingMicrosecondsPer10ms, let share = r.processingShareOfCodecCPU {
            line += String(format: "; processing %.0f µs per 10 ms (%.0f%% of codec CPU)", us, share * 100)
        }
        return line
    }
}
