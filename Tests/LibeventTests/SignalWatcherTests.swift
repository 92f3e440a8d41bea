import Glibc
import Libevent
import TestSupport
import Testing

/// libevent lets one event base at a time watch signals, so these tests run one after another.
@Suite(.serialized) struct SignalWatcherTests {
    @Test func raisedSignalRunsTheHandlerFromTheLoop() throws {
        let base = try EventBase()
        var received: [Int32] = []
        _ = try SignalWatcher(base: base, signal: SIGUSR1) { watcher, signal in
            received.append(signal)
            watcher.close()
        }
        raise(SIGUSR1)   // delivered although the test thread started with it blocked
        try runBounded(base) { !received.isEmpty }
        #expect(received == [SIGUSR1])
    }

    @Test func stoppedWatcherIsFreedAfterClose() throws {
        let base = try EventBase()
        weak var weakWatcher: SignalWatcher?
        var count = 0
        do {
            let watcher = try SignalWatcher(base: base, signal: SIGUSR2) { watcher, _ in
                count += 1
                if count == 2 { watcher.close() }
            }
            weakWatcher = watcher
        }
        raise(SIGUSR2)
        try runBounded(base) { count == 1 }
        raise(SIGUSR2)
        try runBounded(base) { weakWatcher == nil }
        #expect(count == 2)
        #expect(weakWatcher == nil)
    }

    @Test func aNumberThatIsNoSignalOrCannotBeCaughtIsRefused() throws {
        let base = try EventBase()
        for number: Int32 in [0, -1, 1000, .max] {
            #expect(throws: LibeventError.self, "signal \(number)") {
                try SignalWatcher(base: base, signal: number) { _, _ in }
            }
        }
        #expect(throws: LibeventError.self, "SIGKILL cannot be caught") {
            try SignalWatcher(base: base, signal: SIGKILL) { _, _ in }
        }
    }
}
