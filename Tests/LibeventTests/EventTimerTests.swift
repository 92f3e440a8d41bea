import Libevent
import TestSupport
import Testing

@Suite struct EventTimerTests {
    @Test func timersFireInOrderOfTheirDelays() throws {
        let base = try EventBase()
        var order: [Int] = []
        let delays = [30, 10, 20, 0]
        let timers = delays.map { delay in
            EventTimer(base: base) { _ in order.append(delay) }
        }
        try runBounded(base, armingInOneTurn: {
            for (timer, delay) in zip(timers, delays) { timer.schedule(after: .milliseconds(delay)) }
        }, until: { order.count == delays.count })
        #expect(order == [0, 10, 20, 30])
    }

    @Test func cancelledTimerNeverFires() throws {
        let base = try EventBase()
        var fired = false
        let timer = EventTimer(base: base) { _ in fired = true }
        timer.schedule(after: .milliseconds(10))
        #expect(timer.isScheduled)
        timer.cancel()
        #expect(!timer.isScheduled)
        #expect(try base.run() == .noMoreEvents)
        #expect(!fired)
    }

    @Test func reschedulingReplacesTheEarlierDeadline() throws {
        let base = try EventBase()
        var firedAt: [Duration] = []
        let clock = ContinuousClock()
        let start = clock.now
        let timer = EventTimer(base: base) { _ in firedAt.append(clock.now - start) }
        timer.schedule(after: .milliseconds(5))
        timer.schedule(after: .milliseconds(60))
        #expect(try base.run() == .noMoreEvents)
        #expect(firedAt.count == 1)
        #expect(firedAt.first.map { $0 >= .milliseconds(55) } == true)
    }

    @Test func repeatingTimerFiresUntilCancelledFromItsHandler() throws {
        let base = try EventBase()
        var ticks = 0
        let timer = EventTimer(base: base) { timer in
            ticks += 1
            if ticks == 5 { timer.cancel() }
        }
        timer.schedule(every: .milliseconds(2))
        #expect(try base.run() == .noMoreEvents)
        #expect(ticks == 5)
        timer.schedule(after: .milliseconds(1))   // a repeating timer can become one-shot
        #expect(try base.run() == .noMoreEvents)
        #expect(ticks == 6)
    }

    @Test func activatedTimerFiresFromTheLoopNotInsideTheCall() throws {
        let base = try EventBase()
        var fired = 0
        let timer = EventTimer(base: base) { _ in fired += 1 }
        timer.schedule(after: .seconds(60))
        timer.activate()
        #expect(fired == 0)
        #expect(try base.run() == .noMoreEvents, "activation replaced the 60 s schedule")
        #expect(fired == 1)
    }

    @Test func closedTimerIsFreedAndIgnoresScheduling() throws {
        let base = try EventBase()
        weak var weakTimer: EventTimer?
        var fired = 0
        do {
            let timer = EventTimer(base: base) { timer in
                fired += 1
                timer.close()
                timer.schedule(after: .milliseconds(1))   // ignored after close
            }
            timer.schedule(every: .milliseconds(1))
            weakTimer = timer
        }
        try runBounded(base) { weakTimer == nil }
        #expect(fired == 1)
        #expect(weakTimer == nil)
    }
}
