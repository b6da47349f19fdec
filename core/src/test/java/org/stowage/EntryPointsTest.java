package org.stowage;

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
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The entry points for decorators: findMetadata, loadObject, storeSource (issue 16). */
class EntryPointsTest {
  private static final byte[] DATA = "entry points".getBytes(UTF_8);

  /** Hands the content of every store on to {@code tier}, as a decorator does. */
  static final class HandingOn extends TreeMapStorage {
    final TreeMapStorage tier = new TreeMapStorage();
    WritePolicy policy = WritePolicy.OVERWRITE;

    @Override
    protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting) {
      tier.storeSource(location.value(), source, replaceExisting ? policy : WritePolicy.CREATE);
      return true;
    }
  }

  @Test
  @DisplayName("findMetadata: empty for a miss, the metadata of a present object, L2 checked")
  void findMetadata() {
    TreeMapStorage store = new TreeMapStorage();
    assertEquals(Optional.empty(), store.findMetadata("a"));
    Metadata m = store.storeBytes("a", DATA);
    assertEquals(Optional.of(m), store.findMetadata("a"));
    assertThrows(InvalidLocationException.class, () -> store.findMetadata("a//b"));
    assertThrows(NullPointerException.class, () -> store.findMetadata(null));
  }

  @Test
  @DisplayName("loadObject: the bytes with their metadata, verified while read; a miss at call time")
  void loadObject() throws IOException {
    TreeMapStorage store = new TreeMapStorage();
    Metadata m = store.storeBytes("a", DATA);
    try (StoredObject stored = store.loadObject("a")) {
      assertEquals(m, stored.metadata());
      assertArrayEquals(DATA, stored.stream().readAllBytes());
    }
    assertThrows(MissingExternalResourceException.class, () -> store.loadObject("none"));

    store.objects.put("a", "damaged bytes".getBytes(UTF_8)); // behind the store's back
    try (StoredObject stored = store.loadObject("a")) {
      ChangedExternalResourceException e =
          assertThrows(ChangedExternalResourceException.class, () -> stored.stream().readAllBytes());
      assertTrue(e.getMessage().contains("R2"), e.getMessage());
    }
  }

  @Test
  @DisplayName("storeSource: the tier stores the caller's bytes, and both report the same metadata")
  void storeSourceHandsOn() {
    HandingOn decorator = new HandingOn();
    Metadata m = decorator.storeBytes("a", DATA);
    assertEquals(Metadata.of(DATA), m);
    assertArrayEquals(DATA, decorator.tier.loadBytes("a"));
    assertEquals(m, decorator.tier.getMetadata("a"));
    assertEquals(List.of("write a"), decorator.tier.hookCalls.stream().filter(c -> c.startsWith("write")).toList());
  }

  @Test
  @DisplayName("storeSource under CREATE with an object present: refused by the tier, the decorator reports it")
  void storeSourceCreateRefused() {
    HandingOn decorator = new HandingOn();
    decorator.tier.storeBytes("a", "old".getBytes(UTF_8));
    // The decorator's own core sees no object (its map is empty) and writes; the tier refuses.
    ExistingExternalResourceException e =
        assertThrows(ExistingExternalResourceException.class, () -> decorator.storeBytes("a", DATA, WritePolicy.CREATE));
    assertArrayEquals("old".getBytes(UTF_8), decorator.tier.loadBytes("a"));
    assertTrue(e.getMessage().contains("CREATE"), e.getMessage());
  }

  @Test
  @DisplayName("storeSource: a failing caller's stream is reported as the source's failure, with its cause")
  void storeSourceFailingSource() {
    HandingOn decorator = new HandingOn();
    IOException boom = new IOException("boom");
    InputStream failing =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw boom;
          }
        };
    ExternalResourceException e =
        assertThrows(ExternalResourceException.class, () -> decorator.storeStream("a", failing));
    assertSame(boom, e.getCause());
    assertTrue(e.getMessage().contains("nothing was stored"), e.getMessage());
    assertFalse(decorator.tier.exists("a"));
  }

  @Test
  @DisplayName("storeSource refuses a content already read, and reads nothing")
  void storeSourceReadContent() throws IOException {
    TreeMapStorage tier = new TreeMapStorage();
    ObjectSource source = ObjectSource.ofStream(new ByteArrayInputStream(DATA));
    source.stream().read();
    assertThrows(IllegalStateException.class, () -> tier.storeSource("a", source, WritePolicy.OVERWRITE));
    assertFalse(tier.exists("a"));
  }

  @Test
  @DisplayName("a stream from loadObject stored elsewhere is not hashed again, and still verified")
  void verifiedStreamStored() throws IOException {
    TreeMapStorage from = new TreeMapStorage();
    TreeMapStorage to = new TreeMapStorage();
    Metadata m = from.storeBytes("a", DATA);
    try (StoredObject stored = from.loadObject("a")) {
      assertEquals(m, to.storeStream("b", stored.stream()));
    }
    // Damaged behind the store's back: the record says DATA, the bytes are others.
    from.objects.put("a", "other bytes!".getBytes(UTF_8));
    try (StoredObject stored = from.loadObject("a")) {
      assertThrows(ChangedExternalResourceException.class, () -> to.storeStream("c", stored.stream()));
    }
    assertFalse(to.exists("c"), "nothing stored from a stream that failed its check");
  }
}
