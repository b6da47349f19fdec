package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/** Rules M1 and M2: copies and moves within one store, under every write policy. */
abstract class CopyMoveChecks extends ContractGroup {

  CopyMoveChecks(ExternalStorageContract contract) {
    super(contract);
  }

  @Test
  @DisplayName("M1 copy keeps the source and gives the target the same bytes and metadata")
  void copy() {
    Content content = new Content(sizes(3000)[0], 11);
    Metadata md = storage.storeBytes("m1/src", content.bytes());
    assertEquals(md, storage.copy("m1/src", "m1/dir/copy"),
        "M1: copy returns the copy's metadata, the source's");
    assertArrayEquals(content.bytes(), storage.loadBytes("m1/dir/copy"), "M1: the copy's bytes");
    assertEquals(md, storage.getMetadata("m1/dir/copy"), "M1: the copy's metadata");
    assertArrayEquals(content.bytes(), storage.loadBytes("m1/src"), "M1: the source stays");
    assertEquals(sorted("m1/src", "m1/dir/copy"), list(""), "M1: copy creates nothing else");
  }

  @Test
  @DisplayName("M1 M2 a missing source fails with MissingExternalResourceException, whatever the target")
  void missingSource() {
    storage.storeBytes("m/present", new byte[] {1});
    for (WritePolicy policy : WritePolicy.values()) {
      for (String target : List.of("m/absent", "m/present")) {
        String what = policy + " to " + target;
        assertThrows(MissingExternalResourceException.class,
            () -> storage.copy("m/none", target, policy), "M1: copy of a missing object, " + what);
        assertThrows(MissingExternalResourceException.class,
            () -> storage.move("m/none", target, policy), "M2: move of a missing object, " + what);
      }
    }
    assertEquals(List.of("m/present"), list(""), "M1 M2: failed copies and moves change nothing");
    assertArrayEquals(new byte[] {1}, storage.loadBytes("m/present"));
  }

  @Test
  @DisplayName("M2 move puts the object and its metadata at the target and removes the source")
  void move() {
    Content content = new Content(sizes(70_000)[0], 12);
    Metadata md = storage.storeBytes("m2/a/src", content.bytes());
    storage.storeBytes("m2/a/other", new byte[] {7});
    assertEquals(md, storage.move("m2/a/src", "m2/b/c/dst"), "M2: move returns the metadata");
    assertFalse(storage.exists("m2/a/src"), "M2: the source is gone after a move");
    assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("m2/a/src"),
        "M2: the source cannot be loaded after a move");
    assertArrayEquals(content.bytes(), storage.loadBytes("m2/b/c/dst", md),
        "M2: the target holds the object, verified against the source's metadata");
    assertEquals(md, storage.getMetadata("m2/b/c/dst"), "M2: the target's metadata");
    assertEquals(md, storage.verify("m2/b/c/dst"), "M2: the moved object verifies");
    assertEquals(sorted("m2/a/other", "m2/b/c/dst"), list(""), "M2: move touches nothing else");
    assertEquals(md, storage.move("m2/b/c/dst", "m2/a/src", WritePolicy.CREATE),
        "M2: and back again, under CREATE");
    assertEquals(sorted("m2/a/other", "m2/a/src"), list(""));
    assertThrows(IllegalArgumentException.class, () -> storage.move("m2/a/src", "m2/a/src"),
        "M2: a move onto itself is refused");
    assertArrayEquals(content.bytes(), storage.loadBytes("m2/a/src"), "M2: and changes nothing");
  }

  @Test
  @DisplayName("M1 M2 honour every write policy at the target, and never lose the source")
  void policies() {
    Content mine = new Content(100, 13);
    Content theirs = new Content(200, 14);
    for (WritePolicy policy : WritePolicy.values()) {
      for (boolean move : new boolean[] {false, true}) {
        for (Content present : new Content[] {null, theirs, mine}) {
          String at = "m/" + policy + "/" + move + "/" + (present == null ? "none" : present.seed());
          String from = at + "/from";
          String to = at + "/to";
          storage.storeBytes(from, mine.bytes());
          if (present != null) {
            storage.storeBytes(to, present.bytes());
          }
          Op.Transfer op = new Op.Transfer(from, to, policy, move);
          Op.Transfer.Step expected = op.step(mine, present);
          Outcome actual = op.run(storage, "", scratch);
          String what = op + " with " + (present == null ? "nothing" : present) + " at the target";
          assertEquals(expected.allowed(), actual, "rule " + op.rule() + ": " + what);
          assertEquals(content(expected.nextFrom()), content(loadOrNull(from)),
              "rule " + op.rule() + ": the source after " + what);
          assertEquals(content(expected.nextTo()), content(loadOrNull(to)),
              "rule " + op.rule() + ": the target after " + what);
        }
      }
    }
  }

  @Test
  @DisplayName("M1 a copy of a corrupted object fails as changed and stores nothing")
  void copyCorrupted() throws Exception {
    assumeCorrupter();
    Content content = new Content(sizes(5000)[0], 15);
    storage.storeBytes("m1/c", content.bytes());
    corrupt("m1/c");
    assertThrows(ChangedExternalResourceException.class, () -> storage.copy("m1/c", "m1/copy"),
        "M1: a copy is verified: a corrupted source must fail as changed");
    assertFalse(storage.exists("m1/copy"), "M1: a copy that failed verification stores nothing");
  }

  @Test
  @DisplayName("M2 a move of a corrupted object fails as changed, or carries the damage where verify sees it")
  void moveCorrupted() throws Exception {
    assumeCorrupter();
    Content content = new Content(sizes(5000)[0], 16);
    Metadata md = storage.storeBytes("m2/c", content.bytes());
    corrupt("m2/c");
    try {
      storage.move("m2/c", "m2/moved");
    } catch (ChangedExternalResourceException refused) {
      assertTrue(storage.exists("m2/c"), "M2: a move that failed verification keeps the source");
      assertFalse(storage.exists("m2/moved"), "M2: and stores nothing at the target");
      return;
    }
    assertFalse(storage.exists("m2/c"), "M2: a move that succeeded removes the source");
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("m2/moved"),
        "M2: a move without verification (a rename) must carry the damage where verify sees it");
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("m2/moved", md),
        "M2: a verified load of the moved, damaged object must fail as changed");
  }

  @Test
  @DisplayName("M2 concurrent moves of one object: the object is never lost, and the source goes")
  void concurrentMoves() throws Exception {
    int movers = 4;
    int rounds = Math.max(3, tuning.examples(25));
    ExecutorService pool = Executors.newFixedThreadPool(movers);
    try {
      for (int round = 0; round < rounds; round++) {
        Content content = new Content(sizes(20_000)[0], 100 + round);
        String from = "m2r/" + round + "/src";
        storage.storeBytes(from, content.bytes());
        CyclicBarrier start = new CyclicBarrier(movers);
        List<Future<Metadata>> moves = new ArrayList<>();
        for (int t = 0; t < movers; t++) {
          String to = "m2r/" + round + "/to-" + t;
          moves.add(pool.submit(() -> {
            start.await(60, TimeUnit.SECONDS);
            try {
              return storage.move(from, to, WritePolicy.CREATE);
            } catch (MissingExternalResourceException lost) {
              return null; // another move took it first
            }
          }));
        }
        int won = 0;
        for (int t = 0; t < movers; t++) {
          Metadata moved = getOrRethrow(moves.get(t));
          if (moved != null) {
            won++;
            assertEquals(content.metadata(), moved, "M2: a move returns the object's metadata");
            assertArrayEquals(content.bytes(), storage.loadBytes("m2r/" + round + "/to-" + t),
                "M2: every move that succeeded left the whole object at its target");
          }
        }
        assertTrue(won >= 1, "M2: of concurrent moves of one object, at least one succeeds");
        assertFalse(storage.exists(from), "M2: after concurrent moves, the source is gone");
        assertEquals(won, list("m2r/" + round + "/").size(),
            "M2: the object is at the target of each move that succeeded, and nowhere else");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("M2 move removes the source's parent directories left empty")
  void emptyDirectories() throws IOException {
    assumeCapability(caps.localFileUris(), "localFileUris", "the test looks at the directories");
    storage.storeBytes("p/q/r", new byte[] {1});
    Path q = Path.of(storage.uri("p/q/r")).getParent();
    assumeTrue(q.getFileName().toString().equals("q"),
        "needs a layout where a location's segments are the object's directories");
    storage.move("p/q/r", "s/t");
    assertFalse(Files.exists(q.getParent()), "M2: move must remove the directories it left empty");
    assertTrue(Files.isRegularFile(Path.of(storage.uri("s/t"))), "M2: the object is at s/t");
  }

  private byte[] loadOrNull(String location) {
    try {
      return storage.loadBytes(location);
    } catch (MissingExternalResourceException e) {
      return null;
    }
  }

  private String content(Object bytesOrContent) {
    if (bytesOrContent == null) {
      return "nothing";
    }
    byte[] bytes = bytesOrContent instanceof Content c ? c.bytes() : (byte[]) bytesOrContent;
    return Metadata.of(bytes).toString();
  }
}
