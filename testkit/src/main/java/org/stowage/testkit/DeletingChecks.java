package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExternalResourceException;
import org.stowage.MissingExternalResourceException;

/** Rule D1. */
abstract class DeletingChecks extends ContractGroup {

  DeletingChecks(ExternalStorageContract contract) {
    super(contract);
  }

  @Test
  @DisplayName("D1 delete removes the object, and nothing else")
  void delete() {
    List<String> all = List.of("d/x", "d/x.txt", "d/xy", "dx", "d/x0/y");
    for (String location : all) {
      storage.storeBytes(location, location.getBytes(StandardCharsets.UTF_8));
    }
    storage.delete("d/x");
    assertFalse(storage.exists("d/x"), "D1: delete must remove the object");
    assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("d/x"),
        "D1: a deleted object cannot be loaded");
    List<String> rest = sorted("d/x.txt", "d/xy", "dx", "d/x0/y");
    assertEquals(rest, list(""), "D1: delete must remove the object and nothing else");
    for (String location : rest) {
      assertArrayEquals(location.getBytes(StandardCharsets.UTF_8), storage.loadBytes(location),
          "D1: delete must leave other objects as they were");
    }
  }

  @Test
  @DisplayName("D1 delete of a missing object or a directory fails with MissingExternalResourceException")
  void deleteMissing() {
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("none"),
        "D1: delete of a location that never held an object");
    storage.storeBytes("d/e/f", new byte[] {1});
    for (String directory : List.of("d", "d/e")) {
      assertThrows(MissingExternalResourceException.class, () -> storage.delete(directory),
          "D1: delete of a directory (" + directory + ") is delete of a missing object");
    }
    assertTrue(storage.exists("d/e/f"), "D1: deleting a directory must leave what is inside");
    storage.delete("d/e/f");
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("d/e/f"),
        "D1: a second delete of the same object");
  }

  @Test
  @DisplayName("D1 deleteIfExists returns whether it removed an object")
  void deleteIfExists() {
    storage.storeBytes("d/e/f", new byte[] {1});
    storage.storeBytes("x", new byte[] {2});
    assertFalse(storage.deleteIfExists("d"), "D1: deleteIfExists of a directory removes nothing");
    assertFalse(storage.deleteIfExists("none"), "D1: deleteIfExists of a missing object");
    assertTrue(storage.deleteIfExists("x"), "D1: deleteIfExists of an object removes it");
    assertFalse(storage.exists("x"), "D1: the object is gone");
    assertFalse(storage.deleteIfExists("x"), "D1: a second deleteIfExists removes nothing");
    assertEquals(List.of("d/e/f"), list(""), "D1: deleteIfExists leaves other objects");
  }

  @Test
  @DisplayName("D1 delete removes parent directories left empty")
  void emptyDirectories() throws IOException {
    assumeCapability(caps.localFileUris(), "localFileUris", "the test looks at the directories");
    storage.storeBytes("p/q/r", new byte[] {1});
    storage.storeBytes("p/s", new byte[] {2});
    Path q = Path.of(storage.uri("p/q/r")).getParent();
    Path p = q.getParent();
    assumeTrue(q.getFileName().toString().equals("q") && p.getFileName().toString().equals("p"),
        "needs a layout where a location's segments are the object's directories");
    storage.delete("p/q/r");
    assertFalse(Files.exists(q), "D1: delete must remove the directory it left empty (p/q)");
    assertTrue(Files.isDirectory(p), "D1: delete must keep a directory that is not empty (p)");
    storage.delete("p/s");
    assertFalse(Files.exists(p), "D1: delete must remove every parent left empty (p)");
    assertTrue(Files.isDirectory(p.getParent()), "D1: delete must never remove the root");
    storage.storeBytes("p/q/r", new byte[] {3});
    assertArrayEquals(new byte[] {3}, storage.loadBytes("p/q/r"),
        "D1: storing again after the directories went away");
  }

  @Test
  @DisplayName("D2 deleting p when p/q exists removes p and nothing else; a mere prefix is not deleted")
  void nested() throws IOException {
    Content inner = new Content(5, 1);
    for (String location : List.of("n/p/q", "n/p/r/s", "n/pq", "n/p.x", "n/p/q2")) {
      storage.storeBytes(location, inner.bytes());
    }
    List<String> all = list("");
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("n/p"),
        "D2: delete of \"n/p\", which only objects inside it make a \"directory\", must throw"
            + " MissingExternalResourceException");
    assertFalse(storage.deleteIfExists("n/p"),
        "D2: deleteIfExists of a \"directory\" must remove nothing");
    assertEquals(all, list(""), "D2: deleting a \"directory\" must leave every object inside it");

    storage.delete("n/p/q");
    assertEquals(sorted("n/p.x", "n/p/q2", "n/p/r/s", "n/pq"), list(""),
        "D2: delete of \"n/p/q\" must remove that object only, not \"n/p/q2\" that it prefixes");

    boolean outerStored;
    try {
      storage.storeBytes("n/p/r", new Content(7, 2).bytes());
      outerStored = true;
    } catch (ExternalResourceException refused) {
      outerStored = false; // L1.2: a backend may refuse an object where another has its directory
    }
    if (outerStored) {
      storage.delete("n/p/r");
      assertFalse(storage.exists("n/p/r"), "D2: the deleted object \"n/p/r\" is gone");
      assertHolds("n/p/r/s", inner, "D2: deleting \"n/p/r\" must keep \"n/p/r/s\"");
    }
    storage.storeBytes("m/q", inner.bytes());
    try {
      storage.storeBytes("m", new Content(6, 3).bytes());
    } catch (ExternalResourceException refused) {
      return; // L1.2
    }
    assertTrue(storage.deleteIfExists("m"), "D2: deleteIfExists of \"m\" while \"m/q\" exists");
    assertFalse(storage.exists("m"), "D2: \"m\" is gone");
    assertHolds("m/q", inner, "D2: deleting \"m\" must keep \"m/q\"");
    assertEquals(sorted("m/q", "n/p.x", "n/p/q2", "n/p/r/s", "n/pq"), list(""),
        "D2: deleting an object with objects below it must remove that object and nothing else");
  }
}
