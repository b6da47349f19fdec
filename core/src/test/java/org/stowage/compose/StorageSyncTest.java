package org.stowage.compose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.compose.FaultyStorage.Op;
import org.stowage.compose.StorageSync.Action;
import org.stowage.compose.StorageSync.ConflictRule;
import org.stowage.compose.StorageSync.Direction;

class StorageSyncTest {
  private final FaultyStorage source = new FaultyStorage("source");
  private final FaultyStorage target = new FaultyStorage("target");

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  /** Stores {@code n} objects of random content under {@code prefix} and returns them. */
  private static Map<String, byte[]> fill(FaultyStorage store, String prefix, int n) {
    Map<String, byte[]> stored = new LinkedHashMap<>();
    Random random = new Random(prefix.hashCode());
    for (int i = 0; i < n; i++) {
      byte[] data = new byte[1 + random.nextInt(200)];
      random.nextBytes(data);
      store.storeBytes(prefix + i, data);
      stored.put(prefix + i, data);
    }
    return stored;
  }

  private static void assertSameContent(FaultyStorage a, FaultyStorage b) {
    assertEquals(a.objects.keySet(), b.objects.keySet());
    for (String location : a.objects.keySet()) {
      assertArrayEquals(a.objects.get(location), b.objects.get(location), location);
    }
  }

  @Test
  @DisplayName("a one-way sync copies new and changed objects, skips identical ones, and deletes nothing")
  void oneWay() {
    source.storeBytes("a", bytes("only on the source"));
    source.storeBytes("b", bytes("same"));
    source.storeBytes("c", bytes("new!"));
    target.storeBytes("b", bytes("same"));
    target.storeBytes("c", bytes("old!")); // same size, other MD5: compared by content, not existence
    target.storeBytes("d", bytes("only on the target"));
    SyncReport report = StorageSync.sync(source, target, Direction.SOURCE_TO_TARGET);
    assertEquals(2, report.copiedToTarget());
    assertEquals(0, report.copiedToSource());
    assertEquals(1, report.skipped());
    assertEquals(bytes("only on the source").length + 4, report.bytes());
    assertTrue(report.isComplete());
    assertArrayEquals(bytes("new!"), target.objects.get("c"));
    assertArrayEquals(bytes("only on the source"), target.objects.get("a"));
    assertTrue(target.exists("d"));
    assertFalse(source.exists("d"));
    assertEquals(1, target.commits("b"), "the identical object was not written again");
  }

  @Test
  @DisplayName("MIRROR makes the target equal to the source, deleting what the source lacks")
  void mirrorDirection() {
    source.storeBytes("a", bytes("new"));
    source.storeBytes("b", bytes("same"));
    target.storeBytes("a", bytes("old"));
    target.storeBytes("b", bytes("same"));
    target.storeBytes("gone", bytes("deleted on the source"));
    SyncReport report = StorageSync.sync(source, target, Direction.MIRROR);
    assertEquals(new SyncReport(1, 0, 1, 1, 3, List.of(), List.of()), report);
    assertSameContent(source, target);
  }

  @Test
  @DisplayName("a two-way sync copies what each side lacks and reports differing objects as conflicts")
  void bothWaysReportsConflicts() {
    source.storeBytes("a", bytes("from the source"));
    target.storeBytes("d", bytes("from the target"));
    Metadata ms = source.storeBytes("c", bytes("source's c"));
    Metadata mt = target.storeBytes("c", bytes("target's c"));
    SyncReport report = StorageSync.sync(source, target, Direction.BOTH_WAYS);
    assertEquals(1, report.copiedToTarget());
    assertEquals(1, report.copiedToSource());
    assertEquals(List.of(new StorageSync.Conflict("c", ms, mt)), report.conflicts());
    assertFalse(report.isComplete());
    assertArrayEquals(bytes("source's c"), source.objects.get("c"));
    assertArrayEquals(bytes("target's c"), target.objects.get("c"));
    assertArrayEquals(bytes("from the target"), source.objects.get("d"));
    assertArrayEquals(bytes("from the source"), target.objects.get("a"));
  }

  @Test
  @DisplayName("SOURCE_WINS and TARGET_WINS settle conflicts one way or the other")
  void conflictRules() {
    source.storeBytes("c", bytes("source's c"));
    target.storeBytes("c", bytes("target's c"));
    SyncOptions targetWins = SyncOptions.defaults().withConflictRule(ConflictRule.TARGET_WINS);
    SyncReport report = StorageSync.sync(source, target, Direction.BOTH_WAYS, targetWins);
    assertEquals(1, report.copiedToSource());
    assertArrayEquals(bytes("target's c"), source.objects.get("c"));

    target.storeBytes("c", bytes("target's 2"));
    SyncOptions sourceWins = SyncOptions.defaults().withConflictRule(ConflictRule.SOURCE_WINS);
    report = StorageSync.sync(source, target, Direction.BOTH_WAYS, sourceWins);
    assertEquals(1, report.copiedToTarget());
    assertArrayEquals(bytes("target's c"), target.objects.get("c"));
    assertSameContent(source, target);
  }

  @Test
  @DisplayName("a sync interrupted halfway and run again ends with both sides equal, nothing copied twice")
  void interruptedAndResumed() {
    Map<String, byte[]> objects = fill(source, "run/", 30);
    target.failAfter(Op.WRITE, 10);
    SyncReport first = StorageSync.sync(source, target, Direction.SOURCE_TO_TARGET);
    assertEquals(10, first.copiedToTarget());
    assertEquals(20, first.errors().size());
    assertFalse(first.isComplete());

    target.heal();
    source.failAfter(Op.LIST, 12); // the listing breaks off part-way: the run stops
    assertThrows(ExternalResourceException.class, () -> StorageSync.sync(source, target, Direction.SOURCE_TO_TARGET));

    source.heal();
    SyncReport last = StorageSync.sync(source, target, Direction.SOURCE_TO_TARGET);
    assertTrue(last.isComplete(), last.toString());
    assertEquals(30, last.skipped() + last.copiedToTarget());
    assertSameContent(source, target);
    for (String location : objects.keySet()) {
      assertEquals(1, target.commits(location), location + " copied once");
    }
    SyncReport again = StorageSync.sync(source, target, Direction.BOTH_WAYS);
    assertEquals(new SyncReport(0, 0, 0, 30, 0, List.of(), List.of()), again);
  }

  @Test
  @DisplayName("I1 only the prefix is synced, and the listener hears about every object")
  void prefixAndProgress() {
    fill(source, "in/", 12);
    fill(source, "inside/", 3); // "in/" does not match "inside/..."
    target.storeBytes("in/0", source.loadBytes("in/0"));
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicLong copiedBytes = new AtomicLong();
    AtomicLong lastHandled = new AtomicLong();
    SyncOptions options =
        SyncOptions.defaults()
            .withPrefix("in/")
            .withParallelism(3)
            .withListener(p -> {
              seen.add(p.location() + " " + p.action());
              copiedBytes.addAndGet(p.bytes());
              lastHandled.accumulateAndGet(p.handled(), Math::max);
            });
    SyncReport report = StorageSync.sync(source, target, Direction.SOURCE_TO_TARGET, options);
    assertEquals(11, report.copiedToTarget());
    assertEquals(1, report.skipped());
    assertEquals(12, seen.size());
    assertTrue(seen.contains("in/0 " + Action.SKIPPED));
    assertTrue(seen.contains("in/5 " + Action.COPIED_TO_TARGET));
    assertEquals(report.bytes(), copiedBytes.get());
    assertEquals(12, lastHandled.get());
    assertFalse(target.objects.keySet().stream().anyMatch(l -> l.startsWith("inside/")));
  }

  @Test
  @DisplayName("R2 a damaged source object is reported as an error and never copied")
  void damagedSourceIsNotCopied() {
    fill(source, "d/", 3);
    source.corrupt("d/1");
    SyncReport report = StorageSync.sync(source, target, Direction.SOURCE_TO_TARGET);
    assertEquals(2, report.copiedToTarget());
    assertEquals(List.of("d/1"), report.errors().stream().map(StorageSync.Failure::location).toList());
    assertInstanceOf(ChangedExternalResourceException.class, report.errors().get(0).error());
    assertFalse(target.exists("d/1"));
  }

  @Test
  @DisplayName("migrate moves every object under the prefix, verified, and leaves the rest")
  void migrate() {
    Map<String, byte[]> objects = fill(source, "m/", 10);
    source.storeBytes("other", bytes("stays"));
    MigrationReport report = StorageSync.migrate("m/", source, target);
    assertTrue(report.isComplete());
    assertEquals(10, report.moved());
    assertEquals(10, report.copied());
    assertEquals(objects.values().stream().mapToLong(b -> b.length).sum(), report.bytes());
    assertEquals(List.of("other"), List.copyOf(source.objects.keySet()));
    objects.forEach((location, data) -> {
      assertArrayEquals(data, target.objects.get(location));
      assertEquals(Metadata.of(data), target.verify(location));
    });
  }

  @Test
  @DisplayName("migrate keeps an object the target holds with other content, as a conflict")
  void migrateConflict() {
    Metadata ms = source.storeBytes("m/x", bytes("source"));
    Metadata mt = target.storeBytes("m/x", bytes("target"));
    source.storeBytes("m/y", bytes("moves"));
    MigrationReport report = StorageSync.migrate("m/", source, target, SyncOptions.defaults().withVerifyByReading(false));
    assertEquals(List.of(new StorageSync.Conflict("m/x", ms, mt)), report.conflicts());
    assertEquals(1, report.moved());
    assertArrayEquals(bytes("source"), source.objects.get("m/x"));
    assertArrayEquals(bytes("target"), target.objects.get("m/x"));
    assertFalse(source.exists("m/y"));
  }

  static Stream<Arguments> migrationFaults() {
    return Stream.of(
        fault("the target fails to store", (s, t) -> t.failAfter(Op.WRITE, 4)),
        fault("the target fails to verify", (s, t) -> t.failAfter(Op.OPEN, 4)),
        fault("the target fails to answer metadata", (s, t) -> t.failAfter(Op.METADATA, 9)),
        fault("the source fails to delete", (s, t) -> s.failAfter(Op.DELETE, 4)),
        fault("the source fails to read", (s, t) -> s.failAfter(Op.OPEN, 4)),
        fault("the source fails to answer metadata", (s, t) -> s.failAfter(Op.METADATA, 7)),
        fault("the source's listing breaks off", (s, t) -> s.failAfter(Op.LIST, 5)),
        fault("both stores go down", (s, t) -> {
          s.failAfter(Op.DELETE, 3);
          t.failAfter(Op.WRITE, 6);
        }));
  }

  private static Arguments fault(String name, java.util.function.BiConsumer<FaultyStorage, FaultyStorage> inject) {
    return Arguments.of(Named.of(name, inject));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("migrationFaults")
  @DisplayName("a migration interrupted at any step loses nothing, and a re-run finishes it without copying twice")
  void migrateInterrupted(java.util.function.BiConsumer<FaultyStorage, FaultyStorage> inject) {
    Map<String, byte[]> objects = fill(source, "m/", 12);
    inject.accept(source, target);
    try {
      MigrationReport report = StorageSync.migrate("m/", source, target);
      assertFalse(report.isComplete(), "the fault should have hit: " + report);
    } catch (ExternalResourceException e) {
      // a broken listing stops the run
    }
    Consumer<String> onOneSideAtLeast = location -> {
      byte[] want = objects.get(location);
      assertTrue(Arrays.equals(want, source.objects.get(location)) || Arrays.equals(want, target.objects.get(location)),
          location + " is on neither side");
    };
    objects.keySet().forEach(onOneSideAtLeast);

    source.heal();
    target.heal();
    MigrationReport rerun = StorageSync.migrate("m/", source, target);
    assertTrue(rerun.isComplete(), rerun.toString());
    assertTrue(source.objects.isEmpty());
    objects.forEach((location, data) -> {
      assertArrayEquals(data, target.objects.get(location), location);
      assertEquals(1, target.commits(location), location + " copied once");
    });
  }

  @Test
  @DisplayName("sync and migrate refuse a store paired with itself")
  void refusesItself() {
    assertThrows(IllegalArgumentException.class, () -> StorageSync.sync(source, source, Direction.BOTH_WAYS));
    assertThrows(IllegalArgumentException.class, () -> StorageSync.migrate("", source, source));
    assertThrows(IllegalArgumentException.class, () -> SyncOptions.defaults().withParallelism(0));
  }
}
