package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.TreeMapStorage;

class UnitContextTest {
  @TempDir Path scratchRoot;
  private final TreeMapStorage shared = new TreeMapStorage();
  private final TreeMapStorage permanent = new TreeMapStorage();

  private UnitContext.Builder context(String unit) {
    return UnitContext.builder(shared, permanent, "dag", unit).scratchRoot(scratchRoot);
  }

  @Test
  @DisplayName("closing transfers both managers into their stores and deletes scratch")
  void transfersBoth() throws IOException {
    String sharedHandle;
    String permanentHandle;
    Path scratch;
    try (UnitContext ctx = context("unit").build()) {
      scratch = ctx.scratch();
      Files.writeString(ctx.scratch().resolve("tmp.dat"), "intermediate");
      Files.writeString(ctx.scratch().resolve("final.dat"), "result");
      sharedHandle = ctx.shared().register("tmp.dat");
      permanentHandle = ctx.permanent().register("final.dat");
    }
    assertEquals("dag/unit/attempt-1/tmp.dat", sharedHandle);
    assertArrayEquals("intermediate".getBytes(UTF_8), shared.loadBytes(sharedHandle));
    assertArrayEquals("result".getBytes(UTF_8), permanent.loadBytes(permanentHandle));
    assertFalse(shared.exists(permanentHandle));
    assertFalse(Files.exists(scratch), "scratch is deleted after a successful transfer");
  }

  @Test
  @DisplayName("the unit's exception wins; both managers' transfer failures are suppressed; scratch is kept")
  void unitExceptionWins() {
    Path[] scratch = new Path[1];
    RuntimeException thrown = assertThrows(RuntimeException.class, () -> {
      try (UnitContext ctx = context("unit").build()) {
        scratch[0] = ctx.scratch();
        ctx.shared().register("missing-a");
        ctx.permanent().register("missing-b");
        throw new RuntimeException("simulation diverged");
      }
    });
    assertEquals("simulation diverged", thrown.getMessage());
    assertEquals(1, thrown.getSuppressed().length);
    Throwable transfer = thrown.getSuppressed()[0];
    assertInstanceOf(MissingOutputsException.class, transfer);
    assertEquals(1, transfer.getSuppressed().length, "the second manager's failure rides along");
    assertTrue(Files.exists(scratch[0]), "scratch is kept for a retry");
  }

  @Test
  @DisplayName("each attempt has its own namespace, so a failed attempt's leftovers never pass for results")
  void attempts() throws IOException {
    try (UnitContext first = context("flaky").attempt(1).build()) {
      Files.writeString(first.scratch().resolve("out"), "partial");
      first.shared().register("out");
    }
    String handle;
    try (UnitContext second = context("flaky").attempt(2).build()) {
      assertNotEquals(second.namespace(), "dag/flaky/attempt-1");
      Files.writeString(second.scratch().resolve("out"), "complete");
      handle = second.shared().register("out");
    }
    assertEquals("dag/flaky/attempt-2/out", handle);
    assertArrayEquals("complete".getBytes(UTF_8), shared.loadBytes(handle));
    assertArrayEquals("partial".getBytes(UTF_8), shared.loadBytes("dag/flaky/attempt-1/out"));
  }

  @Test
  @DisplayName("content-addressed contexts store identical outputs of two units once")
  void contentAddressed() throws IOException {
    for (String unit : new String[] {"u1", "u2"}) {
      try (UnitContext ctx = context(unit).contentAddressed(true).build()) {
        Files.writeString(ctx.scratch().resolve("same.txt"), "identical output");
        ctx.shared().register("same.txt");
      }
    }
    try (java.util.stream.Stream<String> s = shared.iterContents("cas/")) {
      assertEquals(1, s.count());
    }
    StorageManager reader = new StorageManager(scratchRoot, shared, "dag", "reader");
    assertArrayEquals("identical output".getBytes(UTF_8), reader.load("dag/u2/attempt-1/same.txt"));
  }

  @Test
  @DisplayName("labels are checked when the builder is made")
  void labels() {
    assertThrows(org.stowage.InvalidLocationException.class, () -> UnitContext.builder(shared, permanent, "d/x", "u"));
    assertThrows(IllegalArgumentException.class, () -> context("u").attempt(0));
  }
}
