package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExistingExternalResourceException;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/** The linearizability checker, on histories written by hand. */
class ParallelCheckTest {
  private static final Content A = new Content(5, 1);
  private static final Content B = new Content(5, 2);

  private static ParallelCheck.Event store(int thread, long start, long end, Content c,
      WritePolicy policy, Outcome outcome) {
    return new ParallelCheck.Event(
        thread, new Op.Store("p", c, policy, Op.Source.BYTES), start, end, outcome);
  }

  private static ParallelCheck.Event load(int thread, long start, long end, Outcome outcome) {
    return new ParallelCheck.Event(thread, new Op.Load("p", false), start, end, outcome);
  }

  private static Outcome stored(Content c) {
    return Outcome.of(c.metadata());
  }

  @Test
  @DisplayName("S5.2 a stream store under SKIP_IF_EXISTS or FAIL_IF_DIFFERENT may give up, changing nothing; a bytes store may not")
  void giveUp() {
    Outcome gaveUp = Outcome.thrown(org.stowage.ExternalResourceException.class);
    for (WritePolicy policy : List.of(WritePolicy.SKIP_IF_EXISTS, WritePolicy.FAIL_IF_DIFFERENT)) {
      // Another writer creates and deletes "p" while the stream store runs, and it gives up.
      List<ParallelCheck.Event> history = List.of(
          new ParallelCheck.Event(0, new Op.Store("p", A, policy, Op.Source.STREAM), 0, 10, gaveUp),
          store(1, 1, 2, B, WritePolicy.OVERWRITE, stored(B)),
          new ParallelCheck.Event(1, Op.delete("p"), 3, 4, Outcome.done()),
          load(-1, 11, 12, Outcome.thrown(MissingExternalResourceException.class)));
      assertNull(ParallelCheck.explain(history), policy.toString());
      // The give-up changes nothing: "p" cannot hold A afterwards.
      assertNotNull(ParallelCheck.explain(List.of(history.get(0), history.get(1), history.get(2),
          load(-1, 11, 12, Outcome.bytes(A)))), policy.toString());
      // A bytes store can be read again, so it never gives up.
      assertNotNull(ParallelCheck.explain(List.of(
          store(0, 0, 10, A, policy, gaveUp), history.get(1), history.get(2), history.get(3))),
          policy.toString());
    }
  }

  @Test
  @DisplayName("T1 overlapping writes may take effect in either order")
  void overlappingWrites() {
    for (Content last : List.of(A, B)) {
      assertNull(ParallelCheck.explain(List.of(
          store(0, 0, 10, A, WritePolicy.OVERWRITE, stored(A)),
          store(1, 1, 9, B, WritePolicy.OVERWRITE, stored(B)),
          load(-1, 11, 12, Outcome.bytes(last)))));
    }
  }

  @Test
  @DisplayName("T1 a read overlapping a write sees the old or the new object")
  void overlappingRead() {
    for (Outcome seen : List.of(Outcome.thrown(MissingExternalResourceException.class),
        Outcome.bytes(A))) {
      assertNull(ParallelCheck.explain(List.of(
          store(0, 0, 10, A, WritePolicy.OVERWRITE, stored(A)),
          load(1, 2, 3, seen))));
    }
  }

  @Test
  @DisplayName("T1 a read after a completed write must see it")
  void staleRead() {
    assertNotNull(ParallelCheck.explain(List.of(
        store(0, 0, 1, A, WritePolicy.OVERWRITE, stored(A)),
        load(1, 2, 3, Outcome.thrown(MissingExternalResourceException.class)))));
  }

  @Test
  @DisplayName("T1 a read cannot see a write that began after it ended")
  void readFromTheFuture() {
    assertNotNull(ParallelCheck.explain(List.of(
        load(1, 0, 1, Outcome.bytes(A)),
        store(0, 2, 3, A, WritePolicy.OVERWRITE, stored(A)))));
  }

  @Test
  @DisplayName("S5 two concurrent CREATEs cannot both win; one winner is fine")
  void createRace() {
    assertNotNull(ParallelCheck.explain(List.of(
        store(0, 0, 10, A, WritePolicy.CREATE, stored(A)),
        store(1, 0, 10, B, WritePolicy.CREATE, stored(B)))));
    assertNull(ParallelCheck.explain(List.of(
        store(0, 0, 10, A, WritePolicy.CREATE,
            Outcome.thrown(ExistingExternalResourceException.class)),
        store(1, 0, 10, B, WritePolicy.CREATE, stored(B)),
        load(-1, 11, 12, Outcome.bytes(B)))));
  }

  @Test
  @DisplayName("T1 a lost write shows in the final read")
  void lostWrite() {
    assertNotNull(ParallelCheck.explain(List.of(
        store(0, 0, 1, A, WritePolicy.OVERWRITE, stored(A)),
        store(1, 2, 3, B, WritePolicy.OVERWRITE, stored(B)),
        load(-1, 4, 5, Outcome.bytes(A)))));
  }
}
