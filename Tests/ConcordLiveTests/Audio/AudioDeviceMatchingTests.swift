import ConcordLive
import Testing

/// Choosing a device by index or name over a fixed list (no PortAudio needed).
@Suite struct AudioDeviceMatchingTests {
    static func device(_ index: Int, _ name: String, in inputs: Int, out outputs: Int, api: String = "ALSA")
        -> AudioDeviceInfo
    {
        AudioDeviceInfo(
            index: index, name: name, hostAPI: api, maxInputChannels: inputs, maxOutputChannels: outputs,
            defaultSampleRate: 48_000, defaultLowInputLatency: 0.0087, defaultLowOutputLatency: 0.0087,
            isDefaultInput: name == "default", isDefaultOutput: name == "default")
    }

    static let devices = [
        device(0, "HDA Intel PCH: ALC295 Analog (hw:0,0)", in: 2, out: 2),
        device(1, "HDA Intel PCH: HDMI 0 (hw:0,3)", in: 0, out: 8),
        device(2, "USB Audio Device: - (hw:1,0)", in: 1, out: 2),
        device(3, "sysdefault", in: 128, out: 128),
        device(4, "default", in: 128, out: 128),
        device(5, "Default", in: 0, out: 2, api: "OSS"),
        device(6, "Dup", in: 1, out: 0, api: "ALSA"),
        device(7, "Dup", in: 1, out: 0, api: "JACK Audio Connection Kit"),
    ]

    func find(_ spec: String, _ direction: AudioDirection = .input) throws(PortAudioError) -> AudioDeviceInfo {
        try AudioDeviceInfo.find(spec, direction: direction, in: Self.devices)
    }

    @Test func byIndex() throws {
        #expect(try find("2").name == "USB Audio Device: - (hw:1,0)")
        #expect(try find(" 1 ", .output).name == "HDA Intel PCH: HDMI 0 (hw:0,3)")
    }

    @Test func byExactNameThenCaselessNameThenUniqueSubstring() throws {
        #expect(try find("default").index == 4)  // exact beats the substring match in "sysdefault"
        #expect(try find("Default", .output).index == 5)  // exact (case-sensitive) wins
        #expect(try find("DEFAULT").index == 4)  // the one case-insensitive exact input match
        #expect(try find("usb").index == 2)
        #expect(try find("alc295").index == 0)
        #expect(try find("hdmi", .output).index == 1)
    }

    @Test func anIndexWithoutChannelsInThatDirectionSaysSo() {
        #expect(throws: PortAudioError.self) { try find("1") }
        do {
            _ = try find("1")
        } catch {
            guard case .wrongDirection(let device, .input, _) = error else {
                Issue.record("expected wrongDirection, got \(error)")
                return
            }
            #expect(device.index == 1)
            #expect(error.description.hasPrefix("Device 1 'HDA Intel PCH: HDMI 0 (hw:0,3)' has no input channels."))
        }
        // By a name that only an output device has.
        do {
            _ = try find("hdmi")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("has no input channels"))
        }
    }

    @Test func ambiguousNameListsTheMatches() throws {
        // Only devices with channels in the direction are candidates: one HDA device has inputs.
        #expect(try find("hda").index == 0)
        do {
            _ = try find("hda", .output)
            Issue.record("expected an error")
        } catch {
            guard case .ambiguousDevice(_, .output, let matches, _) = error else {
                Issue.record("expected ambiguousDevice, got \(error)")
                return
            }
            #expect(matches.map(\.index) == [0, 1])
            #expect(error.description.hasPrefix(
                "'hda' matches 2 output devices: 0 'HDA Intel PCH: ALC295 Analog (hw:0,0)', 1 'HDA Intel PCH: HDMI 0 (hw:0,3)'; use the index or more of the name."))
        }
        do {
            _ = try find("Dup")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("'Dup' matches 2 input devices: 6 'Dup', 7 'Dup'"))
        }
    }

    @Test func unknownNameListsTheAvailableDevices() {
        do {
            _ = try find("blue yeti")
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description
                    == "No input device matches 'blue yeti'. Input devices (choose by index or by a unique part of the name): "
                    + "0 'HDA Intel PCH: ALC295 Analog (hw:0,0)' (ALSA); 2 'USB Audio Device: - (hw:1,0)' (ALSA); "
                    + "3 'sysdefault' (ALSA); 4 'default' (ALSA, default); 6 'Dup' (ALSA); 7 'Dup' (JACK Audio Connection Kit).")
        }
        do {
            _ = try find("42")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("No input device matches '42'. Input devices"))
        }
        do {
            _ = try AudioDeviceInfo.find("mic", direction: .input, in: [])
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description
                    == "No input device matches 'mic'. PortAudio found no input devices (see `concord devices`).")
        }
        do {
            _ = try find("  ")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("An empty device name matches no input device."))
        }
    }

    @Test func tableShowsBothDirectionsWithDefaults() {
        let table = AudioDeviceListing.table([
            Self.device(0, "concord_null", in: 128, out: 128),
            Self.device(4, "default", in: 2, out: 0),
        ])
        #expect(
            table == """
                Input devices:
                     index  name          host API  channels  default rate  low latency
                         0  concord_null  ALSA           128      48000 Hz       8.7 ms
                  *      4  default       ALSA             2      48000 Hz       8.7 ms
                Output devices:
                     index  name          host API  channels  default rate  low latency
                         0  concord_null  ALSA           128      48000 Hz       8.7 ms
                * = default device. Choose a device by its index or by a unique part of its name.
                """)
    }

    @Test func noDevicesExplanationQuotesTheLibraries() {
        let text = AudioDeviceListing.noDevicesExplanation(
            hostAPIs: [.init(name: "ALSA", deviceCount: 0), .init(name: "OSS", deviceCount: 0)],
            messages: [
                .init(library: "ALSA", text: "cannot find card '0'"),
                .init(library: "ALSA", text: "function snd_func_card_inum returned error: No such file or directory"),
                .init(library: "ALSA", text: "Unknown PCM default"),
                .init(library: "ALSA", text: "cannot find card '0'"),
                .init(library: "JACK", text: "jack server is not running or cannot be started"),
            ],
            soundCardDirectoryExists: false)
        #expect(
            text == """
                No sound devices: PortAudio found no devices through ALSA and OSS.
                  ALSA says: cannot find card '0'; Unknown PCM default
                  JACK says: jack server is not running or cannot be started
                  /dev/snd does not exist: this machine has no sound card the kernel knows of (or this container was not given one).
                Sound files (WAV) can stand in for the microphone and the speaker.
                """)
    }
}
