import ArgumentParser
import ConcordLive
import Foundation

/// `concord devices`: the sound devices PortAudio can open.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the sound devices (microphones and speakers) PortAudio finds.",
        discussion: """
            Prints the input and the output devices with PortAudio's index, name, host API, channel \
            count, default sample rate and default low latency; * marks the default device. Concord \
            opens every device at 48 kHz mono Float32 and chooses a device by index ("3") or by name \
            (exact, or a unique part of it, ignoring case). On Linux, ALSA's 'default' and plug devices \
            convert rates; 'hw:…' devices may refuse 48 kHz. Exits 0 when no device is found (and says \
            why), 1 when PortAudio cannot be initialised.
            """)

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.makeLogger(label: "concord.devices")
        let system: PortAudioSystem
        do {
            system = try PortAudioSystem.acquire()
        } catch {
            for message in PortAudioSystem.libraryMessages { logger.debug("\(message)") }
            printError("Cannot initialise PortAudio (\(PortAudioSystem.versionText)): \(error)")
            throw ExitCode.failure
        }
        defer { system.release() }
        logger.debug("PortAudio", metadata: ["version": "\(PortAudioSystem.versionText)"])
        for message in PortAudioSystem.libraryMessages { logger.debug("\(message)") }
        do {
            let devices = try system.devices()
            guard !devices.isEmpty else {
                #if os(Linux)
                    let soundCards: Bool? = FileManager.default.fileExists(atPath: "/dev/snd")
                #else
                    let soundCards: Bool? = nil
                #endif
                print(
                    AudioDeviceListing.noDevicesExplanation(
                        hostAPIs: try system.hostAPIs(), messages: PortAudioSystem.libraryMessages,
                        soundCardDirectoryExists: soundCards))
                return
            }
            print(AudioDeviceListing.table(devices))
        } catch {
            printError("Cannot list sound devices: \(error)")
            throw ExitCode.failure
        }
    }
}
