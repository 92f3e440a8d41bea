import Glibc
import Libevent
import TestSupport
import Testing

@Suite struct EventBaseTests {
    @Test func usesEpollOnLinux() throws {
        #expect(try EventBase().backendName == "epoll")
    }

    @Test func configurationCanAvoidABackend() throws {
        let base = try EventBase(configuration: .init(avoidedBackends: ["epoll"], flags: [.noLock, .ignoreEnvironment]))
        #expect(base.backendName != "epoll")
    }

    @Test func runReturnsWhenNothingIsPending() throws {
        #expect(try EventBase().run() == .noMoreEvents)
    }

    @Test func exitAfterADelayEndsTheLoop() throws {
        let base = try EventBase()
        let keepBusy = EventTimer(base: base) { _ in }
        keepBusy.schedule(every: .milliseconds(5))
        let clock = ContinuousClock()
        let start = clock.now
        base.exit(after: .milliseconds(50))
        #expect(try base.run() == .stopped)
        #expect(clock.now - start >= .milliseconds(45))
        keepBusy.close()
    }

    @Test func stopEndsTheLoopFromACallback() throws {
        let base = try EventBase()
        var ticks = 0
        let ticker = EventTimer(base: base) { timer in
            ticks += 1
            if ticks == 3 { base.stop() }
        }
        ticker.schedule(every: .milliseconds(1))
        try runBounded(base)
        #expect(ticks == 3)
        ticker.close()
    }

    @Test func runOnceWithoutBlockingReturnsAtOnce() throws {
        let base = try EventBase()
        let idle = EventTimer(base: base) { _ in }
        idle.schedule(after: .seconds(30))
        let clock = ContinuousClock()
        let elapsed = try clock.measure { try base.runOnce(blocking: false) }
        #expect(elapsed < .seconds(5))
        idle.close()
    }

    @Test func runOnceBlockingRunsOneReadyCallback() throws {
        let base = try EventBase()
        var fired = false
        let timer = EventTimer(base: base) { _ in fired = true }
        timer.schedule(after: .milliseconds(1))
        try base.runOnce()
        #expect(fired)
    }

    @Test func cachedTimeIsTheWallClock() throws {
        let base = try EventBase()
        var now = timeval()
        gettimeofday(&now, nil)
        let difference = base.cachedTime - .seconds(Int64(now.tv_sec))
        #expect(difference > .seconds(-2) && difference < .seconds(2))
    }
}
