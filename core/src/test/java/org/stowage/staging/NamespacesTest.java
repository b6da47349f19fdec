package org.stowage.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.InvalidLocationException;
import org.stowage.TreeMapStorage;

class NamespacesTest {
  @TempDir Path dir;
  private final TreeMapStorage storage = new TreeMapStorage();

  /** Runs attempt {@code n} of {@code dag/unit}, writing one output; a failing attempt throws. */
  private void attempt(String dag, String unit, int n, boolean succeed) throws IOException {
    try (UnitContext ctx = UnitContext.builder(storage, storage, dag, unit).scratchRoot(dir).attempt(n)
        .contentAddressed(true).build()) {
      Files.writeString(ctx.scratch().resolve("out.txt"), dag + unit + n);
      ctx.shared().register("out.txt");
      if (!succeed) {
        throw new IllegalStateException("attempt " + n + " failed");
      }
      ctx.succeeded();
    } catch (IllegalStateException expected) {
      // a failed attempt: its outputs are stored, no success marker
    }
  }

  private Set<String> locations(String prefix) {
    try (Stream<String> s = storage.iterContents(prefix)) {
      return s.collect(Collectors.toSet());
    }
  }

  @Test
  @DisplayName("a close after succeeded() and a successful transfer writes the success marker; a unit that threw does not")
  void successMarkers() throws IOException {
    Instant before = Instant.now();
    attempt("run", "u", 1, false);
    attempt("run", "u", 2, true);
    assertTrue(Namespaces.succeededAt(storage, "run", "u", 1).isEmpty());
    Instant at = Namespaces.succeededAt(storage, "run", "u", 2).orElseThrow();
    assertFalse(at.isBefore(before.minusSeconds(1)));
    assertTrue(storage.exists("run/u/attempt-2.succeeded"));
  }

  @Test
  @DisplayName("deleting a run, a unit or an attempt deletes exactly its objects and references")
  void deletesNamespaces() throws IOException {
    attempt("run", "a", 1, true);
    attempt("run", "ab", 1, true);
    attempt("run", "b", 1, false);
    attempt("run", "b", 2, true);
    attempt("other", "a", 1, true);
    Namespaces.Deletion d = Namespaces.deleteAttempt(storage, "run", "b", 1);
    assertEquals(List.of("run/b/attempt-1"), d.namespaces());
    assertEquals(1, d.objectsDeleted());
    assertFalse(storage.exists("run/b/attempt-1/out.txt"));
    assertTrue(storage.exists("run/b/attempt-2/out.txt"));
    assertEquals(2, Namespaces.deleteUnit(storage, "run", "a").objectsDeleted(), "the output and the marker");
    assertTrue(storage.exists("run/ab/attempt-1/out.txt"), "a unit whose name merely starts the same is kept");
    Namespaces.deleteRun(storage, "run");
    assertEquals(Set.of(), locations("run/"));
    assertEquals(Set.of("other/a/attempt-1/out.txt", "other/a/attempt-1.succeeded"), locations("other/"));
    assertThrows(InvalidLocationException.class, () -> Namespaces.deleteRun(storage, "a/b"));
    assertThrows(InvalidLocationException.class, () -> Namespaces.deleteRun(storage, ".."));
  }

  @Test
  @DisplayName("keep the latest successful attempt: older attempts go, newer ones and units without success stay")
  void keepLatestSuccessful() throws IOException {
    attempt("run", "u", 1, true);
    attempt("run", "u", 2, false);
    attempt("run", "u", 3, true);
    attempt("run", "u", 4, false); // newer than the latest success: perhaps running
    attempt("run", "never", 1, false);
    Namespaces.Deletion d = Namespaces.keepLatestSuccessfulAttempts(storage, "run");
    assertEquals(List.of("run/u/attempt-1", "run/u/attempt-2"), d.namespaces());
    assertEquals(Set.of("run/u/attempt-3/out.txt", "run/u/attempt-3.succeeded", "run/u/attempt-4/out.txt"),
        locations("run/u/"));
    assertEquals(Set.of("run/never/attempt-1/out.txt"), locations("run/never/"));
    // The engine may say instead: here, only attempt 4 counts as a success.
    Namespaces.keepLatestSuccessfulAttempts(storage, "run", (unit, n) -> n == 4);
    assertEquals(Set.of("run/u/attempt-4/out.txt"), locations("run/u/"));
  }

  @Test
  @DisplayName("runs older than N days go, by their newest success marker; undated runs stay")
  void deletesOldRuns() throws IOException {
    attempt("old", "u", 1, true);
    attempt("new", "u", 1, true);
    attempt("undated", "u", 1, false);
    Instant now = Instant.now();
    Namespaces.recordSuccess(storage, "old/u/attempt-1", now.minus(Duration.ofDays(40)));
    Namespaces.Deletion d = Namespaces.deleteRunsOlderThan(storage, Duration.ofDays(30), now);
    assertEquals(List.of("old"), d.namespaces());
    assertEquals(Set.of(), locations("old/"));
    assertFalse(locations("new/").isEmpty());
    assertFalse(locations("undated/").isEmpty());
  }
}
