package org.stowage.staging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;
import org.stowage.TreeMapStorage;
import org.stowage.WritePolicy;
import org.stowage.cas.ContentAddressedStore;

/**
 * Moving transfers (close under {@code DELETE_AFTER_TRANSFER}), resuming one that stopped halfway,
 * and reading handles with only the store ({@link OutputReader}).
 */
class MovingTransferTest {
  @TempDir Path dir;
  private final TreeMapStorage storage = new TreeMapStorage();

  private Path scratch() throws IOException {
    return Files.createDirectories(dir.resolve("scratch"));
  }

  private StorageManager deleting(Path scratch) {
    return StorageManager.builder(scratch, storage, "dag", "unit").scratchPolicy(ScratchPolicy.DELETE_AFTER_TRANSFER).build();
  }

  @Test
  @DisplayName("close under DELETE_AFTER_TRANSFER moves every file into the store; an explicit transfer() before it copies")
  void closeMoves() throws IOException {
    Path scratch = scratch();
    Files.writeString(scratch.resolve("a.txt"), "alpha");
    Files.createDirectories(scratch.resolve("sub"));
    Files.writeString(scratch.resolve("sub/b.txt"), "beta");
    StorageManager m = deleting(scratch);
    String a = m.register("a.txt");
    String b = m.register("sub/b.txt");
    TransferReport copied = m.transfer();
    assertTrue(Files.exists(scratch.resolve("a.txt")), "an explicit transfer copies: the unit may still use its files");
    assertEquals(2, copied.uploadedCount());
    Files.writeString(scratch.resolve("a.txt"), "alpha, final");
    m.close();
    assertFalse(Files.exists(scratch), "scratch deleted");
    assertArrayEquals("alpha, final".getBytes(UTF_8), storage.loadBytes(a));
    assertArrayEquals("beta".getBytes(UTF_8), storage.loadBytes(b));
    TransferReport last = m.lastTransfer().orElseThrow();
    assertEquals(List.of(true, false), last.files().stream().map(TransferReport.Entry::uploaded).toList(),
        "the changed file was stored again, the unchanged one found stored");
  }

  @Test
  @DisplayName("a missing file stops the moving close before anything moves; scratch is kept whole")
  void allOrNothing() throws IOException {
    Path scratch = scratch();
    Files.writeString(scratch.resolve("present"), "here");
    StorageManager m = deleting(scratch);
    m.register("present");
    m.register("absent");
    MissingOutputsException e = assertThrows(MissingOutputsException.class, m::close);
    assertEquals(List.of("dag/unit/absent"), e.locations());
    assertTrue(Files.exists(scratch.resolve("present")), "nothing moved");
    assertFalse(storage.exists("dag/unit/present"), "nothing stored");
  }

  /**
   * A moving transfer that was killed after the journal named three files, with "a" stored and
   * noted, "b" stored but not noted (killed in between), and "c" still in scratch.
   */
  private Path halfMoved() throws IOException {
    Path scratch = scratch();
    for (String name : new String[] {"a", "b", "c"}) {
      Files.writeString(scratch.resolve(name), "content of " + name);
    }
    MoveJournal journal = new MoveJournal(scratch);
    journal.moving(Map.of("a", 12L, "b", 12L, "c", 12L));
    Metadata a = storage.adoptPath("dag/unit/a", scratch.resolve("a"), WritePolicy.OVERWRITE);
    journal.moved("a", a);
    storage.adoptPath("dag/unit/b", scratch.resolve("b"), WritePolicy.OVERWRITE);
    return scratch;
  }

  @Test
  @DisplayName("a retry counts files gone from scratch and stored here as the journal says as transferred, not as missing")
  void resumesHalfMovedTransfer() throws IOException {
    Path scratch = halfMoved();
    StorageManager retry = deleting(scratch);
    for (String name : new String[] {"a", "b", "c"}) {
      retry.register(name);
    }
    TransferReport report = retry.transfer();
    assertEquals(List.of(false, false, true), report.files().stream().map(TransferReport.Entry::uploaded).toList());
    for (String name : new String[] {"a", "b", "c"}) {
      assertEquals(Metadata.of(("content of " + name).getBytes(UTF_8)), report.files().stream()
          .filter(f -> f.location().endsWith("/" + name)).findFirst().orElseThrow().metadata());
      assertArrayEquals(("content of " + name).getBytes(UTF_8), retry.load("dag/unit/" + name));
    }
    retry.close();
    assertFalse(Files.exists(scratch));
  }

  @Test
  @DisplayName("a file gone from scratch is missing if the journal does not name it, or the store holds other content")
  void journalIsNotTrustedBlindly() throws IOException {
    Path scratch = halfMoved();
    storage.storeBytes("dag/unit/a", "replaced by some other writer".getBytes(UTF_8));
    Files.delete(scratch.resolve("c"));
    StorageManager retry = deleting(scratch);
    for (String name : new String[] {"a", "b", "c"}) {
      retry.register(name);
    }
    MissingOutputsException e = assertThrows(MissingOutputsException.class, retry::transfer);
    assertEquals(List.of("dag/unit/a", "dag/unit/c"), e.locations());
  }

  @Test
  @DisplayName("UnitContext moves each file; one registered with both managers is copied to shared and moved to permanent")
  void unitContextMoves() throws IOException {
    TreeMapStorage permanent = new TreeMapStorage();
    String both;
    String sharedOnly;
    Path scratch;
    try (UnitContext ctx = UnitContext.builder(storage, permanent, "dag", "u").scratchRoot(dir).build()) {
      scratch = ctx.scratch();
      Files.writeString(scratch.resolve("both"), "in both stores");
      Files.writeString(scratch.resolve("shared-only"), "shared");
      both = ctx.shared().register("both");
      assertEquals(both, ctx.permanent().register("both"));
      sharedOnly = ctx.shared().register("shared-only");
    }
    assertArrayEquals("in both stores".getBytes(UTF_8), storage.loadBytes(both));
    assertArrayEquals("in both stores".getBytes(UTF_8), permanent.loadBytes(both));
    assertArrayEquals("shared".getBytes(UTF_8), storage.loadBytes(sharedOnly));
    assertFalse(Files.exists(scratch));
  }

  @Test
  @DisplayName("discardScratch deletes a failed attempt's kept scratch, only after close")
  void discardScratch() throws IOException {
    UnitContext ctx = UnitContext.builder(storage, storage, "dag", "failing").scratchRoot(dir).build();
    Files.writeString(ctx.scratch().resolve("partial"), "half");
    ctx.shared().register("missing");
    assertThrows(IllegalStateException.class, ctx::discardScratch);
    assertThrows(MissingOutputsException.class, ctx::close);
    assertTrue(Files.exists(ctx.scratch().resolve("partial")), "kept after a failed close");
    ctx.discardScratch();
    assertFalse(Files.exists(ctx.scratch()));
    ctx.discardScratch(); // idempotent
  }

  @Test
  @DisplayName("OutputReader reads handles with only the store, in plain and content-addressed mode; the report says where the content is")
  void readerNeedsOnlyTheStore() throws IOException {
    Path scratch = scratch();
    Files.writeString(scratch.resolve("plain.txt"), "plain output");
    Files.writeString(scratch.resolve("dedup.txt"), "hello world");
    StorageManager plain = StorageManager.builder(scratch, storage, "dag", "plain").build();
    String plainHandle = plain.register("plain.txt");
    TransferReport.Entry plainEntry = plain.transfer().files().get(0);
    StorageManager dedup = StorageManager.builder(scratch, storage, "dag", "dedup")
        .contentAddressed(new ContentAddressedStore(storage)).build();
    String dedupHandle = dedup.register("dedup.txt");
    TransferReport.Entry dedupEntry = dedup.transfer().files().get(0);

    // The user's failure, reproduced: the handle holds a reference, not the 11 bytes of content.
    ChangedExternalResourceException refused = assertThrows(ChangedExternalResourceException.class,
        () -> storage.loadBytes(dedupHandle, dedupEntry.metadata()));
    assertTrue(refused.getMessage().contains("longer than the expected 11 bytes"), refused.getMessage());

    // What the report says to do instead, and the reader.
    assertEquals(plainHandle, plainEntry.contentLocation());
    assertArrayEquals("hello world".getBytes(UTF_8), storage.loadBytes(dedupEntry.contentLocation(), dedupEntry.metadata()));
    assertArrayEquals("plain output".getBytes(UTF_8), storage.loadBytes(plainEntry.contentLocation(), plainEntry.metadata()));
    OutputReader reader = new OutputReader(storage);
    assertArrayEquals("hello world".getBytes(UTF_8), reader.load(dedupHandle));
    assertArrayEquals("plain output".getBytes(UTF_8), reader.load(plainHandle));
    assertEquals(dedupEntry.metadata(), reader.contentMetadata(dedupHandle));
    assertEquals(plainEntry.metadata(), reader.contentMetadata(plainHandle));

    // Damaged content is refused through a reference too.
    storage.storeBytes(dedupEntry.contentLocation(), "hello wOrld".getBytes(UTF_8));
    Exception damaged = assertThrows(Exception.class, () -> reader.load(dedupHandle));
    Throwable cause = damaged;
    while (cause != null && !(cause instanceof ChangedExternalResourceException)) {
      cause = cause.getCause();
    }
    assertInstanceOf(ChangedExternalResourceException.class, cause, "C3: " + damaged);
  }
}
