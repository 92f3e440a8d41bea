import Glibc
import Libevent
import TestSupport
import Testing

@Suite struct DescriptorWatcherTests {
    @Test func pipeBecomesReadableWhenWrittenTo() throws {
        let base = try EventBase()
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        var received: [UInt8] = []
        var firedEvents: IOEvents = []
        _ = try DescriptorWatcher(base: base, descriptor: readEnd, events: .read) { watcher, events in
            firedEvents = events
            received += readAvailable(readEnd)
            watcher.close()
        }
        writeAll(writeEnd, Array("ping".utf8))
        try runBounded(base) { !received.isEmpty }
        #expect(received == Array("ping".utf8))
        #expect(firedEvents == .read)
    }

    @Test func emptyPipeWriteEndIsWritable() throws {
        let base = try EventBase()
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        var fired: IOEvents = []
        _ = try DescriptorWatcher(base: base, descriptor: writeEnd, events: [.read, .write]) { watcher, events in
            fired = events
            watcher.close()
        }
        try runBounded(base) { !fired.isEmpty }
        #expect(fired.contains(.write))
    }

    @Test func timeoutFiresWhenNothingHappens() throws {
        let base = try EventBase()
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        var fired: IOEvents = []
        _ = try DescriptorWatcher(base: base, descriptor: readEnd, events: .read, timeout: .milliseconds(20)) { watcher, events in
            fired = events
            watcher.close()
        }
        try runBounded(base) { !fired.isEmpty }
        #expect(fired == .timeout)
    }

    @Test func oneShotWatcherFiresOnceUntilResumed() throws {
        let base = try EventBase()
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        var calls = 0
        let watcher = try DescriptorWatcher(base: base, descriptor: readEnd, events: .read, persistent: false) { _, _ in
            calls += 1
        }
        writeAll(writeEnd, [1])
        #expect(try base.run() == .noMoreEvents, "the one-shot watcher is no longer pending")
        #expect(calls == 1)
        #expect(!watcher.isWatching)
        try watcher.resume()   // still readable: the byte was never read
        try runBounded(base) { calls == 2 }
        #expect(calls == 2)
    }

    @Test func stoppedWatcherIsNotCalledUntilResumed() throws {
        let base = try EventBase()
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        var calls = 0
        let watcher = try DescriptorWatcher(base: base, descriptor: readEnd, events: .read) { watcher, _ in
            calls += 1
            _ = readAvailable(readEnd)
            watcher.stop()
        }
        watcher.stop()
        writeAll(writeEnd, [1])
        #expect(try base.runOnce(blocking: false) == .noMoreEvents)
        #expect(calls == 0)
        try watcher.resume()
        try runBounded(base) { calls == 1 }
        #expect(calls == 1)
        watcher.close()
    }

    @Test func edgeTriggeredWatcherReportsOnlyNewData() throws {
        let base = try EventBase()
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        var calls = 0
        let watcher = try DescriptorWatcher(base: base, descriptor: readEnd, events: .read, edgeTriggered: true) { _, _ in
            calls += 1   // deliberately does not read: level-triggered would fire again at once
        }
        writeAll(writeEnd, [1])
        let settle = EventTimer(base: base) { _ in base.stop() }
        settle.schedule(after: .milliseconds(50))
        try runBounded(base)
        #expect(calls == 1)
        watcher.close()
    }

    @Test func closedWatcherIsFreed() throws {
        let base = try EventBase()
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        weak var weakWatcher: DescriptorWatcher?
        do {
            let watcher = try DescriptorWatcher(base: base, descriptor: readEnd, events: .read) { watcher, _ in
                watcher.close()   // closing from inside its own callback
            }
            weakWatcher = watcher
        }
        #expect(weakWatcher != nil, "a watching watcher keeps itself alive")
        writeAll(writeEnd, [1])
        try runBounded(base) { weakWatcher == nil }
        #expect(weakWatcher == nil)
    }

    @Test func theMinusOneOfAFailedAcceptIsRefused() throws {
        let base = try EventBase()
        // libevent would take -1 and never report it: a port of C select code that forgot to check
        // accept's result would wait for that client for ever.
        for descriptor: Int32 in [-1, .min] {
            #expect(throws: LibeventError("event_add", code: EBADF), "descriptor \(descriptor)") {
                try DescriptorWatcher(base: base, descriptor: descriptor, events: .read) { _, _ in }
            }
        }
    }
}
