import Testing
@testable import Shoal

/// The commit gate's protocol (``CommitGate``), model-checked: every interleaving of its steps on
/// sequentially consistent memory is explored, for several readers and closers at once. The gate
/// itself stays two atomics and a condition (readers pass it on every snapshot, so no lock may
/// sit on that path); this checks the order of its steps, which is where such a protocol breaks.
@Suite struct CommitGateModelTests {
    /// Where each party is in its program (the gate's code, step by step).
    enum Reader: Hashable {
        case countIn            // readers += 1
        case lookAtClosed       // closed == 0 ? opening : countOut
        case opening            // opens its snapshot (must never overlap a closed gate's commits)
        case leave              // readers -= 1
        case countOut           // readers -= 1, then wait
        case waitForOpen        // blocks until closed == 0, then counts in again
        case done
    }

    enum Closer: Hashable {
        case countIn            // closed += 1
        case lookAtReaders      // readers == 0 ? committing : spin
        case committing         // the shards commit; no snapshot may be opening
        case open               // closed -= 1 (and wakes the waiters)
        case done
    }

    struct World: Hashable {
        var readersCount = 0
        var closedCount = 0
        var readers: [Reader]
        var closers: [Closer]
    }

    /// The gate's steps; `checkFirst` is a broken reader that looks before counting itself in.
    static func moves(_ world: World, checkFirst: Bool = false) -> [World] {
        var next: [World] = []
        for (i, step) in world.readers.enumerated() {
            var w = world
            switch step {
            case .countIn:
                if checkFirst {
                    guard w.closedCount == 0 else { continue }
                    w.readers[i] = .lookAtClosed
                } else {
                    w.readersCount += 1
                    w.readers[i] = .lookAtClosed
                }
            case .lookAtClosed:
                if checkFirst {
                    w.readersCount += 1
                    w.readers[i] = .opening
                } else {
                    w.readers[i] = w.closedCount == 0 ? .opening : .countOut
                }
            case .opening: w.readers[i] = .leave
            case .leave:
                w.readersCount -= 1
                w.readers[i] = .done
            case .countOut:
                w.readersCount -= 1
                w.readers[i] = .waitForOpen
            case .waitForOpen:
                guard w.closedCount == 0 else { continue }
                w.readers[i] = .countIn
            case .done: continue
            }
            next.append(w)
        }
        for (i, step) in world.closers.enumerated() {
            var w = world
            switch step {
            case .countIn:
                w.closedCount += 1
                w.closers[i] = .lookAtReaders
            case .lookAtReaders:
                guard w.readersCount == 0 else { continue }   // spinning changes nothing
                w.closers[i] = .committing
            case .committing: w.closers[i] = .open
            case .open:
                w.closedCount -= 1
                w.closers[i] = .done
            case .done: continue
            }
            next.append(w)
        }
        return next
    }

    /// Explores every reachable state. - Returns: states where a snapshot opens during a commit,
    /// and states where nobody can move before everyone is done.
    static func explore(readers: Int, closers: Int, checkFirst: Bool = false) -> (unsafe: Int, stuck: Int, states: Int) {
        let start = World(readers: Array(repeating: .countIn, count: readers), closers: Array(repeating: .countIn, count: closers))
        var seen: Set<World> = [start]
        var frontier = [start]
        var unsafe = 0
        var stuck = 0
        while let world = frontier.popLast() {
            if world.readers.contains(.opening) && world.closers.contains(.committing) { unsafe += 1 }
            let next = moves(world, checkFirst: checkFirst)
            let finished = world.readers.allSatisfy { $0 == .done } && world.closers.allSatisfy { $0 == .done }
            if next.isEmpty && !finished { stuck += 1 }
            for n in next where seen.insert(n).inserted { frontier.append(n) }
        }
        return (unsafe, stuck, seen.count)
    }

    @Test(arguments: [(1, 1), (2, 1), (3, 1), (2, 2), (1, 3)])
    func noSnapshotOpensWhileAClosedGateCommitsAndNobodyIsStuck(readers: Int, closers: Int) {
        let result = Self.explore(readers: readers, closers: closers)
        #expect(result.unsafe == 0)
        #expect(result.stuck == 0)
        #expect(result.states > 10)
    }

    /// The model finds the bug a reader that looks before counting itself in would have.
    @Test func theModelCatchesAReaderThatLooksBeforeCountingIn() {
        #expect(Self.explore(readers: 1, closers: 1, checkFirst: true).unsafe > 0)
    }
}
