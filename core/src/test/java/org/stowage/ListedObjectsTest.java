package org.stowage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the core enforces on {@link ExternalStorage#iterObjects} (rule I8) whatever the backend's
 * hook hands over: content passes only if it hashes to its metadata, never over {@code maxBytes},
 * and the listing keeps the order, prefix and bound of {@code iterContents} (I1, I2, I7).
 */
class ListedObjectsTest {

  /**
   * A {@link TreeMapStorage} whose {@code iterObjects} hook reads every object of at most its
   * limit with the record kept at store time, as a backend reading beside its listing would; tests
   * bend what it hands over through {@link #objectsFault} and {@link #readLimit}.
   */
  static final class ReadingStorage extends TreeMapStorage {
    /** Rewrites the objects the hook hands to the core. */
    UnaryOperator<List<ListedObject>> objectsFault = UnaryOperator.identity();
    /** Reads objects up to this size instead of the caller's maxBytes, when set. */
    Integer readLimit;
    /** Whether the hook's bound is ignored. */
    boolean ignoresBound;
    final AtomicInteger closedListings = new AtomicInteger();

    @Override
    protected synchronized Stream<ListedObject> listObjects(String prefix, String startAfter,
        int maxBytes) {
      hookCalls.add("objects " + prefix + " " + startAfter + " " + maxBytes);
      int limit = readLimit == null ? maxBytes : readLimit;
      List<ListedObject> listed = new ArrayList<>();
      for (Map.Entry<String, byte[]> e : objects.tailMap(prefix, true).entrySet()) {
        String location = e.getKey();
        if (!location.startsWith(prefix)) {
          break;
        }
        if (!ignoresBound && Location.UTF8_ORDER.compare(location, startAfter) <= 0) {
          continue;
        }
        byte[] data = e.getValue();
        listed.add(data.length <= limit
            ? ListedObject.withContent(location, records.get(location), data.clone())
            : ListedObject.of(location));
      }
      return objectsFault.apply(listed).stream().onClose(closedListings::incrementAndGet);
    }
  }

  private final ReadingStorage storage = new ReadingStorage();

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private List<ListedObject> objects(String prefix, String startAfter, int maxBytes) {
    try (Stream<ListedObject> listed = storage.iterObjects(prefix, startAfter, maxBytes)) {
      return listed.toList();
    }
  }

  private static List<String> locations(List<ListedObject> objects) {
    return objects.stream().map(ListedObject::location).toList();
  }

  @Test
  @DisplayName("I8 the default hook lists every object without content, and reads none")
  void defaultHook() {
    TreeMapStorage plain = new TreeMapStorage();
    for (String location : List.of("a", "b/c", "b-d", "e")) {
      plain.storeBytes(location, bytes(location));
    }
    plain.hookCalls.clear();
    try (Stream<ListedObject> listed = plain.iterObjects("", "", Integer.MAX_VALUE)) {
      List<ListedObject> all = listed.toList();
      assertEquals(List.of("a", "b-d", "b/c", "e"), locations(all), "I8/I2: every object, in UTF-8 order");
      assertTrue(all.stream().noneMatch(ListedObject::hasContent), "I8: the default reads nothing");
    }
    try (Stream<ListedObject> listed = plain.iterObjects("b", "b-d", 10)) {
      assertEquals(List.of("b/c"), locations(listed.toList()), "I7/I8: after the bound, under the prefix");
    }
    assertTrue(plain.hookCalls.stream().allMatch(c -> c.startsWith("list ")),
        "I8: the default only lists: " + plain.hookCalls);
  }

  @Test
  @DisplayName("I8 content that hashes to its metadata is passed on with it; an object over maxBytes without")
  void verifiedContent() {
    storage.storeBytes("a", bytes("one"));
    storage.storeBytes("b", new byte[0]);
    storage.storeBytes("c", bytes("twelve bytes"));
    List<ListedObject> listed = objects("", "", 3);
    assertEquals(List.of("a", "b", "c"), locations(listed));
    assertArrayEquals(bytes("one"), listed.get(0).content(), "I8: the content of a");
    assertEquals(Metadata.of(bytes("one")), listed.get(0).metadata(), "I8: the metadata of a");
    assertArrayEquals(new byte[0], listed.get(1).content(), "I8: an empty object with its content");
    assertFalse(listed.get(2).hasContent(), "I8: the object over maxBytes, without content");
    assertEquals(1, storage.closedListings.get(), "I3.1: closing the listing closes the hook's stream");
  }

  @Test
  @DisplayName("I8 content that does not hash to its metadata is passed on without it, and loadObject reports the damage")
  void damagedContent() throws Exception {
    storage.storeBytes("a", bytes("intact"));
    storage.storeBytes("k", bytes("stored"));
    synchronized (storage) {
      storage.objects.put("k", bytes("damage")); // same size, the record kept
    }
    List<ListedObject> listed = objects("", "", 100);
    assertEquals(List.of("a", "k"), locations(listed));
    assertTrue(listed.get(0).hasContent(), "I8: the intact object keeps its content");
    assertFalse(listed.get(1).hasContent(),
        "I8: content that does not hash to the record is passed on without content");
    try (StoredObject object = storage.loadObject("k")) {
      assertThrows(ChangedExternalResourceException.class, () -> object.stream().readAllBytes(),
          "R2/I8: loadObject of the object listed without content reports the damage");
    }
  }

  @Test
  @DisplayName("I8 content with another object's metadata, or the right MD5 and a wrong size, is passed on without it")
  void mismatchedMetadata() {
    storage.storeBytes("a", bytes("first"));
    storage.storeBytes("b", bytes("second"));
    storage.storeBytes("c", bytes("third"));
    storage.objectsFault = listed -> List.of(
        ListedObject.withContent("a", listed.get(1).metadata(), listed.get(0).content()),
        ListedObject.withContent("b", new Metadata(Metadata.of(bytes("second")).md5(), 7),
            listed.get(1).content()),
        listed.get(2));
    List<ListedObject> passed = objects("", "", 100);
    assertEquals(List.of("a", "b", "c"), locations(passed));
    assertFalse(passed.get(0).hasContent(), "I8: content paired with another object's metadata");
    assertFalse(passed.get(1).hasContent(), "I8: the right MD5 with a wrong size");
    assertArrayEquals(bytes("third"), passed.get(2).content(), "I8: the honest one passes");
  }

  @Test
  @DisplayName("I8 content longer than maxBytes is a backend bug: IllegalStateException naming I8 and the location")
  void contentOverLimit() {
    storage.storeBytes("a", bytes("1"));
    storage.storeBytes("b/big", bytes("12345"));
    storage.readLimit = Integer.MAX_VALUE;
    try (Stream<ListedObject> listed = storage.iterObjects("", "", 4)) {
      Iterator<ListedObject> it = listed.iterator();
      assertArrayEquals(bytes("1"), it.next().content(), "I8: the object within the limit passes");
      IllegalStateException e = assertThrows(IllegalStateException.class, it::next,
          "I8: content over maxBytes");
      assertTrue(e.getMessage().contains("I8") && e.getMessage().contains("\"b/big\"")
              && e.getMessage().contains("TreeMapStorage"),
          () -> "I8: the error names the rule, the location and the storage: " + e.getMessage());
    }
  }

  @Test
  @DisplayName("I2 I7 I1 a hook listing out of order, at or before the bound, or outside the prefix is refused (IllegalStateException)")
  void orderAndBound() {
    for (String location : List.of("p/a", "p/b", "p/c")) {
      storage.storeBytes(location, bytes(location));
    }
    storage.objectsFault = listed -> {
      List<ListedObject> reversed = new ArrayList<>(listed);
      Collections.reverse(reversed);
      return reversed;
    };
    IllegalStateException order = assertThrows(IllegalStateException.class, () -> objects("p/", "", 10));
    assertTrue(order.getMessage().contains("I2"), order.getMessage());

    storage.objectsFault = UnaryOperator.identity();
    storage.ignoresBound = true;
    for (String bound : List.of("p/a", "p/b")) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> objects("p/", bound, 10), "I7: the hook listed p/a for a listing after " + bound);
      assertTrue(e.getMessage().contains("I7") && e.getMessage().contains("\"p/a\""), e.getMessage());
    }
    storage.ignoresBound = false;

    storage.objectsFault = listed -> List.of(ListedObject.withContent("q/a", Metadata.of(new byte[0]), new byte[0]));
    IllegalStateException prefix = assertThrows(IllegalStateException.class, () -> objects("p/", "", 10));
    assertTrue(prefix.getMessage().contains("I1"), prefix.getMessage());

    storage.objectsFault = listed -> {
      List<ListedObject> withForeign = new ArrayList<>(listed);
      withForeign.add(0, ListedObject.of("p/.stowage-tmp-1"));
      return withForeign;
    };
    assertEquals(List.of("p/a", "p/b", "p/c"), locations(objects("p/", "", 10)),
        "L2: a listed key that is not a valid location is skipped");
  }

  @Test
  @DisplayName("I8 a negative maxBytes, a bad bound or prefix is refused before the hook runs")
  void refusedBeforeTheHook() {
    storage.storeBytes("a", bytes("a"));
    storage.hookCalls.clear();
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> storage.iterObjects("", "", -1));
    assertTrue(negative.getMessage().contains("I8"), negative.getMessage());
    IllegalArgumentException surrogate = assertThrows(IllegalArgumentException.class,
        () -> storage.iterObjects("", "a\ud800", 1));
    assertTrue(surrogate.getMessage().contains("I7"), surrogate.getMessage());
    assertThrows(NullPointerException.class, () -> storage.iterObjects("", null, 1));
    assertThrows(InvalidLocationException.class, () -> storage.iterObjects("../", "", 1));
    assertEquals(List.of(), storage.hookCalls, "no hook runs for a refused listing");
  }

  @Test
  @DisplayName("I8 a storage that hands on another storage's iterObjects costs no second hash, and still checks a claim of its own")
  void handedOnListingIsHashedOnce() {
    for (int i = 0; i < 10; i++) {
      storage.storeBytes("h/" + i, new byte[1000]);
    }
    // A decorator's hook: its tier's checked listing, handed on as it is.
    TreeMapStorage decorator = new TreeMapStorage() {
      @Override
      protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes) {
        return storage.iterObjects(prefix, startAfter, maxBytes);
      }
    };
    try (Md5Counter md5 = Md5Counter.install()) {
      List<ListedObject> listed;
      try (Stream<ListedObject> s = decorator.iterObjects("h/", "", 1024)) {
        listed = s.toList();
      }
      assertEquals(10, listed.size());
      assertTrue(listed.stream().allMatch(ListedObject::hasContent));
      assertEquals(1, md5.passesOver(10 * 1000L), "one MD5 pass over the objects: the tier's core");
      // The tier's checked content over the decorator's limit is still refused as a bug.
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
        TreeMapStorage greedy = new TreeMapStorage() {
          @Override
          protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes) {
            return storage.iterObjects(prefix, startAfter, 1024);
          }
        };
        try (Stream<ListedObject> s = greedy.iterObjects("h/", "", 10)) {
          s.count();
        }
      });
      assertTrue(e.getMessage().contains("I8"), e.getMessage());
      // A backend's own claim (not checked by a core) is hashed and, if false, dropped.
      storage.objectsFault = objects -> objects.stream()
          .map(o -> o.hasContent() ? ListedObject.withContent(o.location(), o.metadata(), new byte[1000 - 1]) : o)
          .toList();
      md5.reset();
      try (Stream<ListedObject> s = storage.iterObjects("h/", "", 1024)) {
        assertTrue(s.noneMatch(ListedObject::hasContent), "claims that do not match are dropped");
      }
      assertEquals(0, md5.bytes(), "a claim of the wrong length is dropped without hashing");
      byte[] other = new byte[1000];
      java.util.Arrays.fill(other, (byte) 1);
      storage.objectsFault = objects -> objects.stream()
          .map(o -> o.hasContent() ? ListedObject.withContent(o.location(), o.metadata(), other.clone()) : o)
          .toList();
      try (Stream<ListedObject> s = storage.iterObjects("h/", "", 1024)) {
        assertTrue(s.noneMatch(ListedObject::hasContent), "claims of the right length but other bytes are dropped");
      }
      assertEquals(1, md5.passesOver(10 * 1000L), "each claim hashed once, by this core");
    }
  }
}
