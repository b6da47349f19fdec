package org.stowage.compose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;
import org.stowage.compose.FaultyStorage.Op;
import org.stowage.compose.MirroredStorage.PendingReplication;
import org.stowage.compose.MirroredStorage.Replication;

class MirroredStorageTest {
  private final FaultyStorage primary = new FaultyStorage("primary");
  private final FaultyStorage s1 = new FaultyStorage("s1");
  private final FaultyStorage s2 = new FaultyStorage("s2");
  private final Recorder recorder = new Recorder();
  private final List<MirroredStorage> opened = new ArrayList<>();

  /** Records what the mirror reports. */
  private static final class Recorder implements MirroredStorage.ReplicationListener {
    final List<PendingReplication> failures = new CopyOnWriteArrayList<>();
    final List<ExternalStorage> outOfSync = new CopyOnWriteArrayList<>();
    final List<PendingReplication> unfinished = new CopyOnWriteArrayList<>();
    volatile CountDownLatch failed = new CountDownLatch(0);

    @Override
    public void replicationFailed(PendingReplication pending, RuntimeException cause) {
      failures.add(pending);
      failed.countDown();
    }

    @Override
    public void outOfSync(ExternalStorage secondary) {
      outOfSync.add(secondary);
    }

    @Override
    public void unfinishedAtClose(List<PendingReplication> pending, List<ExternalStorage> outOfSyncAtClose) {
      unfinished.addAll(pending);
    }
  }

  private MirroredStorage mirror(UnaryOperator<MirroredStorage.Builder> options) {
    MirroredStorage mirror =
        options.apply(
                MirroredStorage.builder(primary, List.of(s1, s2))
                    .listener(recorder)
                    .retryBackoff(Duration.ofHours(1), Duration.ofHours(1))) // retried by hand unless a test says so
            .build();
    opened.add(mirror);
    return mirror;
  }

  private MirroredStorage mirror() {
    return mirror(b -> b);
  }

  @AfterEach
  void closeAll() {
    opened.forEach(MirroredStorage::close);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  @DisplayName("writes reach the primary, then every secondary; deletes go everywhere")
  void writesAndDeletesGoEverywhere() {
    MirroredStorage mirror = mirror();
    Metadata m = mirror.storeBytes("a/x", bytes("data"));
    for (FaultyStorage s : List.of(primary, s1, s2)) {
      assertEquals(m, s.getMetadata("a/x"), s.toString());
    }
    mirror.copy("a/x", "a/y");
    mirror.move("a/y", "a/z");
    for (FaultyStorage s : List.of(primary, s1, s2)) {
      assertEquals(List.of("a/x", "a/z"), List.copyOf(s.objects.keySet()), s.toString());
    }
    mirror.delete("a/x");
    assertThrows(MissingExternalResourceException.class, () -> mirror.delete("a/x"));
    for (FaultyStorage s : List.of(primary, s1, s2)) {
      assertFalse(s.exists("a/x"), s.toString());
    }
    assertTrue(mirror.pendingReplications().isEmpty());
  }

  @Test
  @DisplayName("R1 R3 R5 I1 with the primary down, reads are served by a secondary")
  void primaryDownForReads() {
    MirroredStorage mirror = mirror();
    Metadata m = mirror.storeBytes("p/a", bytes("alpha"));
    mirror.storeBytes("p/b", bytes("beta"));
    primary.fail(Op.OPEN, Op.METADATA, Op.EXISTS, Op.LIST);
    assertArrayEquals(bytes("alpha"), mirror.loadBytes("p/a"));
    assertArrayEquals(bytes("alpha"), mirror.loadBytes("p/a", m));
    assertEquals(m, mirror.getMetadata("p/a"));
    assertEquals(m, mirror.verify("p/a"));
    assertTrue(mirror.exists("p/b"));
    assertFalse(mirror.exists("p/none"));
    assertThrows(MissingExternalResourceException.class, () -> mirror.loadBytes("p/none"));
    try (Stream<String> listing = mirror.iterContents("p/")) {
      assertEquals(List.of("p/a", "p/b"), listing.collect(Collectors.toList()));
    }
    try (Stream<org.stowage.ListedObject> listing = mirror.iterObjects("p/", "", 1024)) {
      List<org.stowage.ListedObject> objects = listing.collect(Collectors.toList());
      assertEquals(List.of("p/a", "p/b"),
          objects.stream().map(org.stowage.ListedObject::location).collect(Collectors.toList()),
          "I8: the listing of locations, from a secondary in sync");
      assertTrue(objects.stream().noneMatch(org.stowage.ListedObject::hasContent),
          "I8: as the secondary in sync lists them (FaultyStorage lists without content)");
    }
    s1.down();
    assertArrayEquals(bytes("beta"), mirror.loadBytes("p/b"), "the next secondary");
    s2.down();
    ExternalResourceException e = assertThrows(ExternalResourceException.class, () -> mirror.loadBytes("p/b"));
    assertTrue(e.getMessage().startsWith(mirror.toString()), e.getMessage());
    assertEquals(2, e.getSuppressed().length, "the secondaries' failures ride along");
  }

  @Test
  @DisplayName("S2 with the primary down, writes and deletes fail and no secondary is touched")
  void primaryDownForWrites() {
    MirroredStorage mirror = mirror();
    mirror.storeBytes("k", bytes("old"));
    primary.fail(Op.WRITE, Op.DELETE);
    assertThrows(ExternalResourceException.class, () -> mirror.storeBytes("k", bytes("new")));
    assertThrows(ExternalResourceException.class, () -> mirror.delete("k"));
    for (FaultyStorage s : List.of(primary, s1, s2)) {
      assertArrayEquals(bytes("old"), s.objects.get("k"), s.toString());
      assertEquals(1, s.commits("k"));
    }
    assertTrue(mirror.pendingReplications().isEmpty());
  }

  @Test
  @DisplayName("R1 a load the primary misses is served by a secondary; with repairPrimary the primary gets it back")
  void primaryMisses() {
    MirroredStorage plain = mirror();
    plain.storeBytes("lost", bytes("data"));
    primary.objects.remove("lost"); // the primary lost it behind the mirror's back
    primary.records.remove("lost");
    assertArrayEquals(bytes("data"), plain.loadBytes("lost"));
    assertTrue(plain.exists("lost"));
    assertFalse(primary.exists("lost"), "no repair unless asked");

    MirroredStorage repairing = mirror(b -> b.repairPrimary(true));
    assertArrayEquals(bytes("data"), repairing.loadBytes("lost"));
    assertArrayEquals(bytes("data"), primary.objects.get("lost"), "repaired");
    assertTrue(repairing.pendingReplications().isEmpty());
  }

  @Test
  @DisplayName("D1 a delete of an object only a secondary still holds removes it and says so")
  void deleteOfAnObjectThePrimaryLost() {
    MirroredStorage mirror = mirror();
    mirror.storeBytes("lost", bytes("data"));
    primary.objects.remove("lost");
    primary.records.remove("lost");
    assertTrue(mirror.deleteIfExists("lost"));
    assertFalse(s1.exists("lost"));
    assertFalse(s2.exists("lost"));
    assertFalse(mirror.deleteIfExists("lost"));
  }

  @Test
  @DisplayName("a secondary down during replication: the write succeeds, the failure is reported, and a retry converges")
  void secondaryDownThenBack() {
    MirroredStorage mirror = mirror();
    mirror.storeBytes("b", bytes("bee"));
    s1.fail(Op.WRITE, Op.DELETE);
    Metadata m = mirror.storeBytes("a", bytes("data"));
    mirror.delete("b");
    assertEquals(m, primary.getMetadata("a"));
    assertEquals(m, s2.getMetadata("a"));
    assertFalse(s1.exists("a"));
    List<PendingReplication> pending = mirror.pendingReplications();
    assertEquals(List.of("a", "b"), pending.stream().map(PendingReplication::location).toList());
    assertTrue(pending.stream().allMatch(p -> p.secondary() == s1 && p.attempts() == 1 && p.lastFailure().isPresent()));
    assertEquals(2, recorder.failures.size(), "a stored, b deleted");
    assertTrue(s1.exists("b"), "s1 is behind for b");

    assertEquals(2, mirror.retryPending().size(), "still down");
    s1.heal();
    assertTrue(mirror.retryPending().isEmpty());
    assertEquals(m, s1.getMetadata("a"));
    assertFalse(s1.exists("b"));
    assertEquals(1, s1.commits("a"));
  }

  @Test
  @DisplayName("T1 a read never falls back to a secondary that is behind for its location")
  void noStaleFallback() {
    MirroredStorage mirror = mirror();
    mirror.storeBytes("a", bytes("v1"));
    mirror.storeBytes("b", bytes("bee"));
    mirror.storeBytes("c", bytes("sea"));
    s1.fail(Op.WRITE, Op.DELETE);
    s2.fail(Op.WRITE, Op.DELETE);
    mirror.storeBytes("a", bytes("v2"));
    mirror.delete("c");
    primary.fail(Op.OPEN, Op.METADATA, Op.EXISTS);
    assertThrows(ExternalResourceException.class, () -> mirror.loadBytes("a"), "not the stale v1");
    assertThrows(ExternalResourceException.class, () -> mirror.exists("c"), "not the deleted object");
    assertArrayEquals(bytes("bee"), mirror.loadBytes("b"), "up to date for b");
    primary.heal();
    s1.heal();
    s2.heal();
    assertTrue(mirror.retryPending().isEmpty());
    assertArrayEquals(bytes("v2"), mirror.loadBytes("a"));
    assertFalse(mirror.exists("c"));
  }

  @Test
  @DisplayName("background replication: the write returns first; awaitReplication waits for the secondaries")
  void backgroundReplication() throws Exception {
    MirroredStorage mirror = mirror(b -> b.replication(Replication.BACKGROUND));
    FaultyStorage.Pause pause = s1.pauseAfter(Op.WRITE);
    mirror.storeBytes("a", bytes("data"));
    pause.awaitReached(); // s1 has the bytes, but its replication has not completed
    assertTrue(mirror.pendingReplications().stream().anyMatch(p -> p.secondary() == s1 && p.location().equals("a")));
    assertFalse(mirror.awaitReplication(Duration.ZERO));
    pause.resume();
    assertTrue(mirror.awaitReplication(Duration.ofSeconds(10)));
    assertArrayEquals(bytes("data"), s1.objects.get("a"));
    assertArrayEquals(bytes("data"), s2.objects.get("a"));
  }

  @Test
  @DisplayName("background replication retries with backoff until the secondary is back, and converges")
  void backgroundRetry() throws Exception {
    MirroredStorage mirror =
        mirror(b -> b.replication(Replication.BACKGROUND).retryBackoff(Duration.ofMillis(1), Duration.ofMillis(5)));
    recorder.failed = new CountDownLatch(3);
    s1.fail(Op.WRITE);
    mirror.storeBytes("a", bytes("one"));
    mirror.storeBytes("a", bytes("two"));
    assertTrue(recorder.failed.await(10, TimeUnit.SECONDS), "failed and retried by itself");
    assertFalse(mirror.awaitReplication(Duration.ZERO));
    s1.heal();
    assertTrue(mirror.awaitReplication(Duration.ofSeconds(10)));
    assertArrayEquals(bytes("two"), s1.objects.get("a"));
    assertArrayEquals(bytes("two"), s2.objects.get("a"));
  }

  @Test
  @DisplayName("a full backlog marks the secondary out of sync: reads skip it, and a retry reconciles it whole")
  void backlogOverflow() {
    MirroredStorage mirror = mirror(b -> b.maxPending(2));
    mirror.storeBytes("z", bytes("zed"));
    s1.storeBytes("junk", bytes("not on the primary"));
    s1.fail(Op.WRITE, Op.DELETE);
    for (String l : List.of("a", "b", "c", "d")) {
      mirror.storeBytes(l, bytes(l));
    }
    mirror.delete("z");
    assertEquals(List.of(s1), mirror.outOfSyncSecondaries());
    assertEquals(List.of(s1), recorder.outOfSync);
    assertEquals(2, mirror.pendingReplications().size(), "bounded");
    s2.down();
    primary.fail(Op.OPEN);
    assertThrows(ExternalResourceException.class, () -> mirror.loadBytes("d"), "s1 is out of sync, s2 is down");
    primary.heal();
    s2.heal();
    assertEquals(2, mirror.retryPending().size(), "s1 still down");
    s1.heal();
    assertTrue(mirror.retryPending().isEmpty());
    assertTrue(mirror.outOfSyncSecondaries().isEmpty());
    assertEquals(List.copyOf(primary.objects.keySet()), List.copyOf(s1.objects.keySet()));
    for (String l : List.of("a", "b", "c", "d")) {
      assertArrayEquals(bytes(l), s1.objects.get(l));
    }
  }

  @Test
  @DisplayName("close replicates what it can, then reports what is still pending")
  void closeReportsPending() {
    MirroredStorage background = MirroredStorage.builder(primary, List.of(s1, s2))
        .replication(Replication.BACKGROUND)
        .listener(recorder)
        .build();
    s2.fail(Op.WRITE);
    List<String> written = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      background.storeBytes("o/" + i, bytes("object " + i));
      written.add("o/" + i);
    }
    written.sort(org.stowage.Location.UTF8_ORDER);
    background.close();
    assertEquals(20, s1.objects.size(), "close waited for every replication to s1");
    assertEquals(written, recorder.unfinished.stream().map(PendingReplication::location).toList());
    assertTrue(background.pendingReplications().stream().allMatch(p -> p.secondary() == s2));
    assertEquals(20, background.pendingReplications().size(), "still listed after close");
    assertTrue(primary.closeCalls == 1 && s1.closeCalls == 1 && s2.closeCalls == 1);
    assertThrows(IllegalStateException.class, background::retryPending);
  }

  @Test
  @DisplayName("S5 T1 CREATE lets one writer win, on the primary, and the winner is replicated")
  void createPolicy() {
    MirroredStorage mirror = mirror();
    mirror.storeBytes("c", bytes("first"), WritePolicy.CREATE);
    assertThrows(ExistingExternalResourceException.class,
        () -> mirror.storeBytes("c", bytes("second"), WritePolicy.CREATE));
    assertEquals(Metadata.of(bytes("first")), mirror.storeBytes("c", bytes("x"), WritePolicy.SKIP_IF_EXISTS));
    for (FaultyStorage s : List.of(primary, s1, s2)) {
      assertArrayEquals(bytes("first"), s.objects.get("c"));
      assertEquals(1, s.commits("c"));
    }
  }

  @Test
  @DisplayName("S2 a store whose source fails stores nothing anywhere and reports the source's own exception")
  void failingSource() {
    MirroredStorage mirror = mirror();
    IOException broken = new IOException("broken source");
    InputStream failing = new SequenceInputStream(new ByteArrayInputStream(bytes("part")), new InputStream() {
      @Override
      public int read() throws IOException {
        throw broken;
      }
    });
    ExternalResourceException e = assertThrows(ExternalResourceException.class, () -> mirror.storeStream("s", failing));
    assertSame(broken, e.getCause());
    for (FaultyStorage s : List.of(primary, s1, s2)) {
      assertTrue(s.objects.isEmpty());
    }
    assertTrue(mirror.pendingReplications().isEmpty());
  }

  @Test
  @DisplayName("the builder refuses a mirror without secondaries, or with a store twice")
  void builderChecks() {
    assertThrows(IllegalArgumentException.class, () -> MirroredStorage.builder(primary, List.of()));
    assertThrows(IllegalArgumentException.class, () -> MirroredStorage.builder(primary, List.of(s1, primary)));
    assertThrows(IllegalArgumentException.class, () -> MirroredStorage.builder(primary, List.of(s1, s1)));
  }
}
