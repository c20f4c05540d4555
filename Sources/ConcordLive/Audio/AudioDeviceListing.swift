import Foundation

/// The text `concord devices` prints: device tables, and why there are no devices.
public enum AudioDeviceListing {
    /// Two tables, input devices then output devices, each with index, name, host API, channels,
    /// default rate, default low latency and a `*` on PortAudio's default device.
    public static func table(_ devices: [AudioDeviceInfo]) -> String {
        var lines: [String] = []
        for direction in AudioDirection.allCases {
            let list = devices.filter { $0.maxChannels(direction) > 0 }
            lines.append(direction == .input ? "Input devices:" : "Output devices:")
            guard !list.isEmpty else {
                lines.append("  (none)")
                continue
            }
            let header = ["", "index", "name", "host API", "channels", "default rate", "low latency"]
            let rows = list.map { device in
                [
                    device.isDefault(direction) ? "*" : "", "\(device.index)", device.name, device.hostAPI,
                    "\(device.maxChannels(direction))", String(format: "%.0f Hz", device.defaultSampleRate),
                    String(format: "%.1f ms", device.defaultLowLatency(direction) * 1000),
                ]
            }
            // The marker column is always one wide, so both tables line up.
            let widths = header.indices.map { column in
                max(column == 0 ? 1 : 0, ([header] + rows).map { $0[column].count }.max() ?? 0)
            }
            for row in [header] + rows {
                let cells = row.indices.map { column -> String in
                    let cell = row[column]
                    // Numbers right-aligned, text left-aligned; no padding after the last column.
                    let numeric = [1, 4, 5, 6].contains(column)
                    let pad = String(repeating: " ", count: widths[column] - cell.count)
                    if column == row.count - 1 { return numeric ? pad + cell : cell }
                    return numeric ? pad + cell : cell + pad
                }
                lines.append("  " + cells.joined(separator: "  "))
            }
        }
        lines.append("* = default device. Choose a device by its index or by a unique part of its name.")
        return lines.joined(separator: "\n")
    }

    /// Why PortAudio found no device: which host APIs it tried, what alsa-lib and libjack said,
    /// and whether the machine has a sound card at all (`soundCardDirectoryExists`: /dev/snd).
    public static func noDevicesExplanation(
        hostAPIs: [PortAudioSystem.HostAPI], messages: [PortAudioSystem.LibraryMessage],
        soundCardDirectoryExists: Bool?
    ) -> String {
        let apis = hostAPIs.map(\.name)
        var lines = [
            "No sound devices: PortAudio found no devices through "
                + (apis.isEmpty ? "any host API" : naturalList(apis)) + "."
        ]
        for library in ["ALSA", "JACK"] {
            let said = informative(messages.filter { $0.library == library }.map(\.text))
            if !said.isEmpty {
                lines.append("  \(library) says: " + said.prefix(3).joined(separator: "; ")
                    + (said.count > 3 ? "; … (\(said.count - 3) more; --log-level debug shows all)" : ""))
            }
        }
        if soundCardDirectoryExists == false {
            lines.append(
                "  /dev/snd does not exist: this machine has no sound card the kernel knows of (or this container was not given one).")
        }
        lines.append("Sound files (WAV) can stand in for the microphone and the speaker.")
        return lines.joined(separator: "\n")
    }

    /// "A", "A and B", "A, B and C".
    static func naturalList(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    /// Distinct messages, in order, without alsa-lib's configuration-evaluation plumbing
    /// ("function snd_func_card_inum returned error", "error evaluating strings", …) that merely
    /// repeats the line before it.
    static func informative(_ texts: [String]) -> [String] {
        let plumbing = ["function snd_func", "error evaluating", "Evaluate error", "JackShmReadWritePtr"]
        var seen = Set<String>()
        return texts.filter { text in
            !text.isEmpty && !plumbing.contains(where: { text.hasPrefix($0) }) && seen.insert(text).inserted
        }
    }
}
