package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;

/** Rules R1 to R5: loads, verified loads, metadata, verify, exists. */
abstract class ReadingChecks extends ContractGroup {

  ReadingChecks(ExternalStorageContract contract) {
    super(contract);
  }

  @Test
  @DisplayName("R1 loading a missing object fails at call time with MissingExternalResourceException")
  void missing() {
    Metadata some = new Content(1, 1).metadata();
    for (int round = 0; round < 2; round++) {
      String when = round == 0 ? "never stored" : "deleted";
      assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("r1/x"),
          "R1: loadStream of an object " + when + " must fail when called, not when read");
      assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("r1/x", some),
          "R1: a verified loadStream of an object " + when + " must fail when called");
      assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("r1/x"),
          "R1: loadBytes of an object " + when);
      assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("r1/x", some),
          "R1: a verified loadBytes of an object " + when);
      storage.storeBytes("r1/x", new byte[] {1});
      storage.delete("r1/x");
    }
  }

  @Test
  @DisplayName("R1 loads give the stored bytes, and several streams can be open at once")
  void loads() throws IOException {
    Content content = new Content(sizes(100_000)[0], 1);
    storage.storeBytes("r1/a", content.bytes());
    try (InputStream first = storage.loadStream("r1/a");
        InputStream second = storage.loadStream("r1/a")) {
      byte[] head = first.readNBytes(10);
      byte[] whole = second.readAllBytes();
      byte[] rest = first.readAllBytes();
      byte[] joined = new byte[head.length + rest.length];
      System.arraycopy(head, 0, joined, 0, head.length);
      System.arraycopy(rest, 0, joined, head.length, rest.length);
      assertArrayEquals(content.bytes(), whole, "R1: a second stream gives the whole object");
      assertArrayEquals(content.bytes(), joined, "R1: interleaved reads give the whole object");
    }
    assertArrayEquals(content.bytes(), storage.loadBytes("r1/a"), "R1: loadBytes");
  }

  @Test
  @DisplayName("R2 a verified load gives the stored bytes")
  void verifiedLoad() throws IOException {
    for (int size : sizes(0, 1, 70_000)) {
      Content content = new Content(size, size);
      Metadata md = storage.storeBytes("r2/" + size, content.bytes());
      assertArrayEquals(content.bytes(), storage.loadBytes("r2/" + size, md),
          "R2: a verified loadBytes of an intact object must give its bytes");
      try (InputStream in = storage.loadStream("r2/" + size, md)) {
        assertSameBytes(content, in, "R2: a verified loadStream of an intact object must give its bytes");
      }
    }
  }

  @Test
  @DisplayName("R2 a verified load against the wrong MD5 or size fails as changed")
  void verifiedLoadMismatch() throws IOException {
    Content content = new Content(1000, 1);
    Metadata actual = storage.storeBytes("r2/m", content.bytes());
    Metadata otherMd5 = new Content(1000, 2).metadata();
    Metadata shorter = new Metadata(actual.md5(), 999);
    Metadata longer = new Metadata(actual.md5(), 1001);
    for (Metadata wrong : List.of(otherMd5, shorter, longer)) {
      assertThrows(ChangedExternalResourceException.class,
          () -> storage.loadBytes("r2/m", wrong),
          "R2: a verified loadBytes against " + wrong + " must fail as changed");
      try (InputStream in = storage.loadStream("r2/m", wrong)) {
        assertThrows(ChangedExternalResourceException.class, () -> drain(in),
            "R2: reading to the end a verified loadStream against " + wrong
                + " must fail as changed");
      }
    }
    try (InputStream in = storage.loadStream("r2/m", shorter)) {
      assertEquals(999, in.readNBytes(999).length, "R2: the expected bytes are given");
      assertThrows(ChangedExternalResourceException.class, in::read,
          "R2: reading past the expected size must fail at once");
    }
    try (InputStream in = storage.loadStream("r2/m", otherMd5)) {
      assertEquals(1000, in.readNBytes(1000).length,
          "R2: with the right size but another MD5, every byte is given");
      assertThrows(ChangedExternalResourceException.class, in::read,
          "R2: the read that would report the end must throw instead");
    }
  }

  @Test
  @DisplayName("R2 a verified load of a corrupted object fails as changed, never gives the data as good")
  void verifiedLoadCorrupted() throws Exception {
    assumeCorrupter();
    Content content = new Content(sizes(5000)[0], 1);
    Metadata md = storage.storeBytes("r2/c", content.bytes());
    corrupt("r2/c");
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("r2/c", md),
        "R2: a verified loadBytes of a corrupted object must fail as changed");
    try (InputStream in = storage.loadStream("r2/c", md)) {
      assertThrows(ChangedExternalResourceException.class, () -> drain(in),
          "R2: a verified loadStream of a corrupted object, read to the end, must fail as changed");
    } catch (ChangedExternalResourceException atOpen) {
      // Also fine: the backend noticed before streaming.
    }
  }

  @Test
  @DisplayName("R3 getMetadata gives what the store returned, for every object")
  void getMetadata() {
    List<Metadata> returned = new ArrayList<>();
    int[] sizes = sizes(0, 1, 65537);
    for (int size : sizes) {
      returned.add(storage.storeBytes("r3/" + size, new Content(size, 1).bytes()));
    }
    for (int i = 0; i < sizes.length; i++) {
      assertEquals(returned.get(i), storage.getMetadata("r3/" + sizes[i]),
          "R3: getMetadata must give the stored object's metadata");
    }
    Metadata replaced = storage.storeBytes("r3/1", new Content(2, 2).bytes());
    assertEquals(replaced, storage.getMetadata("r3/1"), "R3: getMetadata after an overwrite");
    assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("r3/none"),
        "R3: getMetadata of a missing object");
  }

  @Test
  @DisplayName("R3 getMetadata never takes a corrupted object for good")
  void getMetadataCorrupted() throws Exception {
    assumeCorrupter();
    Content content = new Content(sizes(5000)[0], 1);
    Metadata md = storage.storeBytes("r3/c", content.bytes());
    corrupt("r3/c");
    try {
      Metadata damaged = Content.metadataOf(storage.loadBytes("r3/c"));
      assertNotEquals(md, damaged, "the corrupter must change the stored bytes");
      assertEquals(md.size(), damaged.size(), "the corrupter must keep the size");
    } catch (ChangedExternalResourceException verifiedAnyway) {
      // A backend may check even plain loads (R1 does not promise it does not).
    }
    for (int round = 0; round < 2; round++) {
      try {
        assertEquals(md, storage.getMetadata("r3/c"),
            "R3: getMetadata of a corrupted object must give the recorded metadata or fail as"
                + " changed, never the metadata of the damaged bytes");
      } catch (ChangedExternalResourceException reported) {
        // Reported as changed: fine.
      }
      assertThrows(ChangedExternalResourceException.class, () -> storage.verify("r3/c"),
          "R3/R4: after getMetadata, verify must still report the corrupted object: its"
              + " metadata must not be re-recorded from the damaged bytes");
    }
  }

  @Test
  @DisplayName("R4 verify gives the metadata of an intact object, and fails for a missing one")
  void verify() {
    for (int size : sizes(0, 1, 70_000)) {
      Metadata md = storage.storeBytes("r4/" + size, new Content(size, 1).bytes());
      assertEquals(md, storage.verify("r4/" + size), "R4: verify of an intact object");
    }
    assertThrows(MissingExternalResourceException.class, () -> storage.verify("r4/none"),
        "R4: verify of a missing object");
  }

  @Test
  @DisplayName("R4 verify reports a corrupted object as changed")
  void verifyCorrupted() throws Exception {
    assumeCorrupter();
    storage.storeBytes("r4/c", new Content(sizes(5000)[0], 1).bytes());
    storage.storeBytes("r4/intact", new Content(10, 2).bytes());
    corrupt("r4/c");
    ChangedExternalResourceException e = assertThrows(ChangedExternalResourceException.class,
        () -> storage.verify("r4/c"), "R4: verify of a corrupted object must fail as changed");
    assertEquals(Optional.of("r4/c"), e.location(), "T2: the error names the location");
    assertDoesNotThrow(() -> storage.verify("r4/intact"),
        "R4: corrupting one object must not affect another");
  }

  @Test
  @DisplayName("R5 exists is true for objects only, never for a prefix or a directory")
  void exists() {
    storage.storeBytes("d/e/f", new byte[] {1});
    storage.storeBytes("g", new byte[] {2});
    assertTrue(storage.exists("d/e/f"), "R5: exists of an object");
    assertTrue(storage.exists("g"), "R5: exists of an object");
    for (String notAnObject : List.of("d", "d/e", "d/e/f/x", "gg", "d/e/ff", "D/e/f")) {
      assertFalse(storage.exists(notAnObject),
          "R5: exists must be false for " + Generators.quote(notAnObject)
              + ", which is a prefix or a directory or nothing, not an object");
    }
    assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("d/e"),
        "R5: a directory has no metadata");
    assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("d"),
        "R5: a directory cannot be loaded");
    storage.delete("g");
    assertFalse(storage.exists("g"), "R5: exists after delete");
  }

  @Test
  @DisplayName("R6 loadBytes gives a new array per call: changing it changes nothing stored")
  void loadedArrayIsTheCallers() throws IOException {
    for (int size : sizes(1, 5000, 300_000)) {
      String location = "r6/" + size;
      Content content = new Content(size, size);
      Metadata md = storage.storeBytes(location, content.bytes());
      byte[] first = storage.loadBytes(location);
      byte[] second = storage.loadBytes(location);
      assertNotSame(first, second, "R6: two loadBytes calls must not return the same array");
      byte[] verified = storage.loadBytes(location, md);
      assertNotSame(first, verified, "R6: a verified loadBytes must return an array of its own");
      Arrays.fill(first, (byte) 0x5a);
      Arrays.fill(verified, (byte) 0x5a);
      assertHolds(location, content,
          "R6: after the caller changed the arrays loadBytes returned (" + size + " bytes)");
      assertArrayEquals(content.bytes(), storage.loadBytes(location, md),
          "R6: a verified load after the caller changed an array loadBytes returned");
      assertArrayEquals(content.bytes(), second,
          "R6: changing one returned array must not change another");
    }
  }
}
