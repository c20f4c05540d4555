#if os(Linux)
    import Concord
    import ConcordLive
    import ConcordTesting
    import Foundation
    import Testing

    /// PortAudio for real, through ALSA, on alsa-lib's null plugin (`TestALSA`): works on a machine
    /// without a sound card. The null PCM is not paced by any clock: capture returns silence and
    /// playback discards as fast as PortAudio's ALSA thread asks, so these tests check that frames
    /// flow, are counted and stop cleanly, not that they flow at 48 kHz.
    @Suite(.serialized) struct PortAudioDeviceTests {
        init() {
            _ = TestALSA.installed
        }

        @Test func listsTheNullDeviceAndFindsIt() throws {
            let system = try PortAudioSystem.acquire()
            defer { system.release() }
            let devices = try system.devices()
            let null = try #require(devices.first { $0.name == TestALSA.nullDeviceName }, "devices: \(devices)")
            #expect(null.hostAPI == "ALSA")
            #expect(null.maxInputChannels > 0)
            #expect(null.maxOutputChannels > 0)
            #expect(null.defaultLowInputLatency > 0)
            #expect(try system.findDevice("CONCORD", direction: .input) == null)
            #expect(try system.findDevice("\(null.index)", direction: .output) == null)
            #expect(try system.hostAPIs().contains { $0.name == "ALSA" && $0.deviceCount == devices.count { $0.hostAPI == "ALSA" } })
            #expect(PortAudioSystem.versionText.hasPrefix("PortAudio V19"))
        }

        @Test func handlesAreReferenceCounted() throws {
            let first = try PortAudioSystem.acquire()
            let second = try PortAudioSystem.acquire()
            first.release()
            first.release()  // idempotent: must not terminate PortAudio under `second`
            #expect(try second.devices().contains { $0.name == TestALSA.nullDeviceName })
            second.release()
            let third = try PortAudioSystem.acquire()
            #expect(try third.devices().contains { $0.name == TestALSA.nullDeviceName })
            third.release()
        }

        @Test func unknownDeviceErrorListsTheRealDevices() {
            do {
                _ = try PortAudioInput(device: "no such microphone")
                Issue.record("expected an error")
            } catch {
                #expect(error.description.hasPrefix("No input device matches 'no such microphone'. Input devices"))
                #expect(error.description.contains("'\(TestALSA.nullDeviceName)' (ALSA"))
            }
        }

        @Test func inputDeliversFramesUntilStopped() throws {
            let input = try PortAudioInput(device: TestALSA.nullDeviceName, frameSamples: 480)
            #expect(input.deviceChannels == 1)
            #expect(input.device.name == TestALSA.nullDeviceName)
            #expect(input.latency > 0)
            var frame: [Float] = []
            for _ in 0..<30 { #expect(input.read(into: &frame)) }  // 300 ms of audio
            // No check of the samples: through PortAudio's mmap access, alsa-lib's null capture
            // hands over whatever its buffer holds (uninitialised memory), not silence.
            #expect(frame.count == 480)
            #expect(input.statistics.framesTransferred == 30)
            input.stop()
            #expect(!input.read(into: &frame))
            input.stop()
            #expect(input.statistics.framesTransferred == 30)
            #expect(input.statistics.errors == 0)
        }

        @Test func stopFromAnotherThreadEndsReading() async throws {
            let input = try PortAudioInput(device: TestALSA.nullDeviceName, frameSamples: 960)
            let reads = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
                Thread.detachNewThread {
                    var frame: [Float] = []
                    var reads = 0
                    while input.read(into: &frame) { reads += 1 }
                    done.resume(returning: reads)
                }
                Thread.detachNewThread {
                    usleep(50_000)
                    input.stop()
                }
            }
            #expect(reads > 0)
        }

        @Test func outputPlaysQueuedFramesAndCountsUnderruns() throws {
            let queueFrames = 4
            let output = try PortAudioOutput(
                device: TestALSA.nullDeviceName, frameSamples: 480, options: .init(queueFrames: queueFrames))
            #expect(output.deviceChannels == 1)
            #expect(output.latency > 0)
            let frame = sine(count: 480, frequency: 1000, amplitude: 0.5)
            for _ in 0..<30 {
                // As the engine would: one frame at a time, never more than the queue holds.
                try waitUntil { output.queuedSamples <= (queueFrames - 1) * 480 }
                output.write(frame)
            }
            try waitUntil { output.queuedSamples == 0 }
            try output.close()
            try output.close()
            let statistics = output.statistics
            #expect(statistics.framesTransferred == 30)
            #expect(statistics.overruns == 0)
            // The null PCM takes samples faster than they are written: silence fills the gaps.
            #expect(statistics.underruns > 0)
            #expect(statistics.underrunSamples > 0)
            output.write(frame)
            #expect(output.statistics.overruns == 1)
        }

        @Test func aFullOutputQueueDropsWholeFrames() throws {
            // Write far more than the queue holds in one go: whatever is not queued is dropped
            // and counted, whole frames only, and write never blocks.
            let output = try PortAudioOutput(
                device: TestALSA.nullDeviceName, frameSamples: 480, options: .init(queueFrames: 2))
            let frame = [Float](repeating: 0.1, count: 480)
            for _ in 0..<2000 { output.write(frame) }
            try output.close()
            let statistics = output.statistics
            #expect(statistics.framesTransferred + statistics.overruns == 2000)
            #expect(statistics.overrunSamples == statistics.overruns * 480)
        }

        /// Through PortAudio's JACK host API on a dummy JACK server: the engine loop (read a frame,
        /// write a frame) runs at the device's clock, and nothing is lost.
        @Test(.enabled(if: DummyJackServer.executable != nil, "needs jackd (Debian package jackd2)"))
        func clockedJackDeviceRunsAtTheDeviceRate() throws {
            let server = try DummyJackServer()
            defer {
                server.stop()
                setenv("JACK_DEFAULT_SERVER", "concord-test-no-such-server", 1)
            }
            setenv("JACK_DEFAULT_SERVER", server.name, 1)
            // PortAudio sees JACK only once the server answers: retry initialisation for a while.
            var jack: AudioDeviceInfo?
            let deadline = MonotonicClock.now().advanced(byMilliseconds: 5000)
            while jack == nil, MonotonicClock.now() < deadline {
                let system = try PortAudioSystem.acquire()
                jack = try system.devices().first { $0.hostAPI.hasPrefix("JACK") }
                system.release()
                if jack == nil { usleep(50_000) }
            }
            let device = try #require(jack, "the JACK dummy server did not come up")
            #expect(device.defaultSampleRate == 48_000)

            let input = try PortAudioInput(device: "\(device.index)", frameSamples: 480)
            let output = try PortAudioOutput(device: "\(device.index)", frameSamples: 480)
            var frame: [Float] = []
            // Warm-up: PortAudio's JACK stream delivers its first few periods in a burst; once
            // that backlog is read, each read waits for the device.
            for _ in 0..<10 { #expect(input.read(into: &frame)) }
            let start = MonotonicClock.now()
            for _ in 0..<30 {
                #expect(input.read(into: &frame))
                output.write(frame)
            }
            let elapsed = MonotonicClock.now().milliseconds(since: start)
            input.stop()
            try output.close()
            // 30 frames of 10 ms at the device's pace (the dummy backend sleeps between periods).
            #expect(elapsed > 270 && elapsed < 600, "30 frames took \(elapsed) ms")
            #expect(input.level == .silence)  // the dummy backend captures silence
            #expect(input.statistics.framesTransferred == 40)
            #expect(input.statistics.overruns == 0)
            #expect(output.statistics.framesTransferred == 30)
            #expect(output.statistics.overruns == 0)
        }

        func waitUntil(_ condition: () -> Bool) throws {
            let deadline = MonotonicClock.now().advanced(byMilliseconds: 2000)
            while !condition() {
                try #require(MonotonicClock.now() < deadline, "timed out")
                usleep(200)
            }
        }
    }

    /// `concord devices`, run as a user would, with ALSA pointed at test configurations.
    @Suite struct DevicesCLITests {
        static func run(_ arguments: [String], alsaConfig: String) throws -> BuiltProduct.Finished {
            try BuiltProduct.concord.run(arguments, environment: [
                "ALSA_CONFIG_PATH": alsaConfig, "JACK_DEFAULT_SERVER": "concord-test-no-such-server",
                "HOME": "/nonexistent-concord-user", "PATH": "/usr/bin:/bin",
            ])
        }

        @Test func listsTheDevices() throws {
            let result = try Self.run(["devices"], alsaConfig: TestALSA.configPath)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("Input devices:\n     index  name"), "\(result.stdout)")
            #expect(result.stdout.contains("concord_null  ALSA"))
            #expect(result.stdout.contains("Output devices:"))
            // alsa-lib's and libjack's chatter stays off stderr.
            #expect(!result.stderr.contains("ALSA lib"), "\(result.stderr)")
            #expect(!result.stderr.contains("jack server"), "\(result.stderr)")
        }

        @Test func noDevicesSaysWhyAndSucceeds() throws {
            let result = try Self.run(["devices"], alsaConfig: TestALSA.emptyConfigPath)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("No sound devices: PortAudio found no devices through ALSA"), "\(result.stdout)")
            #expect(result.stdout.contains("Sound files (WAV) can stand in"))
        }
    }
#endif
