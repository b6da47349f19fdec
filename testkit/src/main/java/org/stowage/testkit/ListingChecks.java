package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.InvalidLocationException;
import org.stowage.ListedObject;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.StoredObject;

/**
 * Rules I1 to I5, I7 and I8: what a listing gives, in which order, lazily, under change, after a
 * bound, and with the content of small objects.
 */
abstract class ListingChecks extends ContractGroup {

  ListingChecks(ExternalStorageContract contract) {
    super(contract);
  }

  @Test
  @DisplayName("I1 a prefix matches as a plain string prefix, as in S3")
  void plainPrefix() {
    for (String location : List.of("a/b.txt", "a/bc/d", "a/b/c", "a/c", "ab", "b")) {
      storage.storeBytes(location, new byte[] {1});
    }
    assertEquals(List.of("a/b.txt", "a/b/c", "a/bc/d"), list("a/b"),
        "I1: \"a/b\" matches a/b.txt, a/b/c and a/bc/d (I2: in UTF-8 order)");
    assertEquals(List.of("a/b/c"), list("a/b/"), "I1: \"a/b/\" matches what is inside a/b");
    assertEquals(List.of("a/b.txt", "a/b/c", "a/bc/d", "a/c"), list("a/"), "I1: \"a/\"");
    assertEquals(List.of("a/b.txt", "a/b/c", "a/bc/d", "a/c", "ab"), list("a"), "I1: \"a\"");
    assertEquals(List.of(), list("c"), "I1: a prefix that matches nothing");
    assertEquals(List.of("a/b/c"), list("a/b/c"), "I1: a whole location matches itself");
  }

  @Test
  @DisplayName("I1 lists objects only: no directories, no temp or metadata files")
  void objectsOnly() {
    storage.storeBytes("x/y/z", new byte[] {1});
    storage.storeBytes("x/w", new byte[] {2});
    for (int i = 0; i < 3; i++) {
      storage.storeBytes("x/w", new byte[] {(byte) i});
      try {
        storage.storeStream("x/y/z", new Content(20_000, i).failingStream());
      } catch (ExternalResourceException expected) {
        // The source fails on purpose.
      }
    }
    assertEquals(List.of("x/w", "x/y/z"), list(""),
        "I1: a listing gives the objects and nothing else: no directories, temp or metadata files");
  }

  @Test
  @DisplayName("I1 I2 property: iterContents(prefix) gives the stored locations with that prefix, in UTF-8 order")
  void listingProperty() {
    Gen<ListingCase> cases = Generators.locationSets(12, caps.maxLocationBytes()).flatMap(locations ->
        SourceDSL.lists().of(Generators.prefixesOf(locations)).ofSizeBetween(1, 5)
            .map(prefixes -> new ListingCase(locations, prefixes)));
    AtomicInteger runs = new AtomicInteger();
    Theories.check(tuning, "I1/I2", "iterContents(prefix) gives the stored locations with that"
            + " prefix, in UTF-8 order", tuning.examples(2), 100, cases, c -> {
          String namespace = "listing-" + runs.incrementAndGet();
          TreeSet<String> model = new TreeSet<>(Location.UTF8_ORDER);
          try {
            storeUnder(namespace, c.locations(), i -> new Content(i % 3, i), model);
            for (String prefix : c.prefixes()) {
              List<String> expected =
                  model.stream().filter(l -> l.startsWith(prefix)).toList();
              assertEquals(quoted(expected), quoted(Op.list(storage, namespace, prefix)),
                  "I1/I2: iterContents(" + Generators.quote(prefix) + ") must give exactly the"
                      + " stored locations that start with it, in ascending UTF-8 byte order");
            }
          } finally {
            deleteUnder(namespace, model);
          }
        });
  }

  @Test
  @DisplayName("I2 lists in ascending UTF-8 byte order, the same on every backend")
  void order() {
    List<String> locations = new ArrayList<>(List.of(
        "a", "a-b", "a.b", "b/c", "b-c", "b.c", "b0", "A", "Z", "_", "~", "\u00e9", "e\u0301",
        "\u00ff", "\u0100", "\ue000", "\ufffd", "\ud83d\ude00", "\ud800\udc00", "\u4e00",
        "z z", "z+z", "z%z"));
    Collections.shuffle(locations, new java.util.Random(42));
    for (String location : locations) {
      storage.storeBytes(location, new byte[] {1});
    }
    List<String> expected = new ArrayList<>(locations);
    expected.sort((x, y) -> Arrays.compareUnsigned(
        x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8)));
    assertEquals(quoted(expected), quoted(list("")),
        "I2: a listing must be in ascending order of the locations' UTF-8 bytes (\"/\" after"
            + " \"-\" and \".\", characters above U+FFFF after U+E000..U+FFFF)");
  }

  @Test
  @DisplayName("I3 a listing can be read in part and closed, and read again")
  void partialListing() {
    List<String> all = storeNumbered("i3/%03d", 60);
    try (Stream<String> listing = storage.iterContents("i3/")) {
      Iterator<String> it = listing.iterator();
      List<String> head = new ArrayList<>();
      for (int i = 0; i < 5 && it.hasNext(); i++) {
        head.add(it.next());
      }
      assertEquals(all.subList(0, 5), head, "I3: the first locations of a listing");
    }
    try (Stream<String> listing = storage.iterContents("i3/")) {
      assertEquals(all.subList(0, 3), listing.limit(3).toList(), "I3: limit on a listing");
    }
    assertEquals(all, list("i3/"), "I3: a listing read to its end after partial ones");
  }

  @Test
  @DisplayName("I4 a listing survives objects stored and deleted while it runs")
  void changesDuringListing() {
    List<String> all = storeNumbered("i4/%02d", 40);
    List<String> seen = readAroundChanges(storage.iterContents("i4/"), 10, () -> {
      storage.delete("i4/05");
      storage.delete("i4/30");
      storage.storeBytes("i4/35x", new byte[] {1});
      storage.storeBytes("i4/01x", new byte[] {1});
      storage.storeBytes("i4/20", new byte[] {9});
    });
    Set<String> untouched = new TreeSet<>(all);
    untouched.removeAll(List.of("i4/05", "i4/30", "i4/20"));
    assertTrue(seen.containsAll(untouched),
        "I4: objects left alone during a listing must appear in it; missing: "
            + untouched.stream().filter(l -> !seen.contains(l)).toList());
    Set<String> possible = new TreeSet<>(all);
    possible.addAll(List.of("i4/35x", "i4/01x"));
    assertTrue(possible.containsAll(seen),
        "I1: a listing gives only objects; extra: "
            + seen.stream().filter(l -> !possible.contains(l)).toList());
  }

  @Test
  @DisplayName("I7 property: iterContents(prefix, startAfter) is the part of iterContents(prefix) after startAfter")
  void startAfterProperty() {
    Gen<BoundedCase> cases = Generators.locationTrees(10, caps.maxLocationBytes()).flatMap(
        locations -> SourceDSL.lists().of(boundedListings(locations))
            .ofSizeBetween(1, 3).map(listings -> new BoundedCase(locations, listings)));
    AtomicInteger runs = new AtomicInteger();
    // A quarter of the examples: each stores a tree and lists it up to 18 times (S3 suites).
    Theories.check(tuning, "I7", "iterContents(prefix, startAfter) is the part of"
            + " iterContents(prefix) after startAfter", tuning.examples(4), 100, cases, c -> {
          String namespace = "after-" + runs.incrementAndGet();
          List<String> stored = new ArrayList<>();
          try {
            storeUnder(namespace, c.locations(), i -> new Content(i % 3, i), stored);
            for (BoundedListing listing : c.listings()) {
              String prefix = Op.at(namespace, listing.prefix());
              List<String> all = list(prefix);
              for (String bound : listing.boundsUnder(namespace)) {
                List<String> expected =
                    all.stream().filter(l -> Location.UTF8_ORDER.compare(l, bound) > 0).toList();
                assertEquals(quoted(expected), quoted(listAfter(prefix, bound)),
                    "I7: iterContents(" + Generators.quote(prefix) + ", " + Generators.quote(bound)
                        + ") must give the locations of iterContents(" + Generators.quote(prefix)
                        + ") that sort after the bound in UTF-8 byte order, in the same order");
              }
            }
          } finally {
            deleteUnder(namespace, stored);
          }
        });
  }

  @Test
  @DisplayName("I7 a bound at, just before or past the last location")
  void boundsAtTheEnd() {
    // In UTF-8 order: e/a, e/b-c, e/b/c, e/b0 ("-" < "/" < "0").
    for (String location : List.of("e/b0", "e/b/c", "e/a", "e/b-c")) {
      storage.storeBytes(location, new byte[] {1});
    }
    assertEquals(List.of(), listAfter("e/", "e/b0"), "I7: a bound equal to the last location");
    assertEquals(List.of(), listAfter("", "e/b0"), "I7: a bound equal to the last location");
    assertEquals(List.of(), listAfter("e/b/", "e/b/c"), "I7: a bound equal to the only location");
    assertEquals(List.of(), listAfter("e/", "e/" + Generators.LAST_CODE_POINT),
        "I7: a bound past everything under the prefix (U+10FFFF)");
    assertEquals(List.of(), listAfter("e", "f"), "I7: a bound past everything");
    assertEquals(List.of("e/b0"), listAfter("e/", "e/b/c"), "I7: a bound at the one before the last");
    assertEquals(List.of("e/b/c", "e/b0"), listAfter("e/", "e/b."),
        "I7: a bound between e/b-c and the directory e/b/ (not a location)");
    assertEquals(List.of("e/b-c", "e/b/c", "e/b0"), listAfter("e/", "e/b"),
        "I7: a bound that is a proper prefix of the locations after it");
    assertEquals(List.of("e/a", "e/b-c", "e/b/c", "e/b0"), listAfter("e/", "e/"),
        "I7: a bound equal to the prefix");
    assertEquals(List.of("e/a", "e/b-c", "e/b/c", "e/b0"), listAfter("e", ""),
        "I7: the empty bound bounds nothing");
  }

  @Test
  @DisplayName("I7 a bound with an unpaired surrogate is refused (IllegalArgumentException), a null one too (NullPointerException)")
  void invalidBounds() {
    storage.storeBytes("a", new byte[] {1});
    for (String bound : List.of("\ud800", "a\udc00", "\ude00\ud83d", "a\ud83d",
        "\ud83d\ude00\udfff")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> storage.iterContents("", bound).close(),
          () -> "I7: a bound with an unpaired surrogate has no UTF-8 bytes: "
              + Generators.quote(bound));
      assertTrue(e.getMessage().contains("I7"),
          () -> "I7: the refusal names the rule: " + e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> storage.iterContents("", null).close(),
        "I7: a null bound");
    assertThrows(InvalidLocationException.class, () -> storage.iterContents("/a", "a").close(),
        "L5: the prefix is checked as for iterContents(prefix)");
    assertEquals(List.of("a"), list(""), "I7: refused listings change nothing");
  }

  @Test
  @DisplayName("I7 I3 a listing after a bound can be read in part and closed, and read again")
  void partialListingAfter() {
    List<String> all = storeNumbered("i7/%03d", 60);
    try (Stream<String> listing = storage.iterContents("i7/", "i7/009")) {
      Iterator<String> it = listing.iterator();
      List<String> head = new ArrayList<>();
      for (int i = 0; i < 5 && it.hasNext(); i++) {
        head.add(it.next());
      }
      assertEquals(all.subList(10, 15), head, "I7/I3: the first locations after the bound");
    }
    try (Stream<String> listing = storage.iterContents("i7/", "i7/0095")) {
      assertEquals(all.subList(10, 13), listing.limit(3).toList(), "I7/I3: limit on a listing");
    }
    assertEquals(all.subList(10, 60), listAfter("i7/", "i7/009"),
        "I7/I3: a listing after the bound read to its end after partial ones");
    assertEquals(all, list("i7/"), "I3: the whole listing after partial ones");
  }

  @Test
  @DisplayName("I7 I4 a listing after a bound survives objects stored and deleted while it runs")
  void changesDuringListingAfter() {
    listAfterBoundAroundChanges("i7", "I7", bound -> storage.iterContents("i7/", bound),
        location -> location);
  }

  /**
   * Stores 40 one-byte objects {@code dir/00} to {@code dir/39} (each holding its number), opens a
   * listing after {@code dir/09} with {@code listAfter}, reads 5 elements, deletes {@code 05},
   * {@code 20} and {@code 30}, stores {@code 01x} and {@code 35x} (one byte, 1) and replaces
   * {@code 25} with one byte, 9, reads the rest, and checks that every object after the bound
   * left alone appears and nothing but objects after the bound (I4, and {@code rule}). Returns
   * what the listing gave.
   */
  private <T> List<T> listAfterBoundAroundChanges(String dir, String rule,
      Function<String, Stream<T>> listAfter, Function<T, String> locationOf) {
    List<String> all = storeNumbered(dir + "/%02d", 40);
    List<T> seen = readAroundChanges(listAfter.apply(dir + "/09"), 5, () -> {
      storage.delete(dir + "/05");
      storage.delete(dir + "/20");
      storage.delete(dir + "/30");
      storage.storeBytes(dir + "/01x", new byte[] {1});
      storage.storeBytes(dir + "/35x", new byte[] {1});
      storage.storeBytes(dir + "/25", new byte[] {9});
    }, locationOf);
    List<String> locations = seen.stream().map(locationOf).toList();
    Set<String> untouched = new TreeSet<>(all.subList(10, 40));
    untouched.removeAll(List.of(dir + "/20", dir + "/30", dir + "/25"));
    assertTrue(locations.containsAll(untouched),
        "I4/" + rule + ": objects after the bound left alone during a listing must appear in it;"
            + " missing: " + untouched.stream().filter(l -> !locations.contains(l)).toList());
    Set<String> possible = new TreeSet<>(all.subList(10, 40));
    possible.add(dir + "/35x");
    assertTrue(possible.containsAll(locations),
        rule + ": a listing gives only objects after its bound; extra: "
            + locations.stream().filter(l -> !possible.contains(l)).toList());
    return seen;
  }

  @Test
  @DisplayName("I8 property: iterObjects(prefix, startAfter, maxBytes) lists what iterContents(prefix, startAfter) lists")
  void objectsProperty() {
    Gen<ObjectsCase> cases = Generators.locationTrees(10, caps.maxLocationBytes()).flatMap(
        locations -> SourceDSL.lists().of(Generators.listedSizes()).ofSize(locations.size())
            .flatMap(sizes -> SourceDSL.lists().of(boundedListings(locations)
                    .zip(Generators.maxBytesAround(sizes), ObjectListing::new))
                .ofSizeBetween(1, 3).map(listings -> new ObjectsCase(locations, sizes, listings))));
    AtomicInteger runs = new AtomicInteger();
    // A quarter of the examples, as for I7: each stores a tree and lists it up to 30 times.
    Theories.check(tuning, "I8", "iterObjects(prefix, startAfter, maxBytes) lists what"
            + " iterContents(prefix, startAfter) lists, with verified content", tuning.examples(4),
        100, cases, c -> {
          String namespace = "objects-" + runs.incrementAndGet();
          List<String> stored = new ArrayList<>();
          try {
            storeUnder(namespace, c.locations(), i -> new Content(c.sizes().get(i), i), stored);
            for (ObjectListing listing : c.listings()) {
              String prefix = Op.at(namespace, listing.listing().prefix());
              int maxBytes = listing.maxBytes();
              for (String bound : listing.listing().boundsUnder(namespace)) {
                String call = "iterObjects(" + Generators.quote(prefix) + ", "
                    + Generators.quote(bound) + ", " + maxBytes + ")";
                List<String> expected = listAfter(prefix, bound);
                List<ListedObject> listed = objectsAfter(prefix, bound, maxBytes);
                assertEquals(quoted(expected), quoted(locationsOf(listed)),
                    "I8: " + call + " must list exactly the locations of iterContents("
                        + Generators.quote(prefix) + ", " + Generators.quote(bound)
                        + "), in the same order");
                for (ListedObject object : listed) {
                  assertListed(object, maxBytes, call);
                }
              }
            }
          } finally {
            deleteUnder(namespace, stored);
          }
        });
  }

  @Test
  @DisplayName("I8 a negative maxBytes is refused (IllegalArgumentException), a null bound (NullPointerException) and an unpaired surrogate bound (IllegalArgumentException) too")
  void invalidObjectListings() {
    storage.storeBytes("a", new byte[] {1});
    for (int maxBytes : new int[] {-1, Integer.MIN_VALUE}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> storage.iterObjects("", "", maxBytes).close(),
          "I8: a negative maxBytes is refused: " + maxBytes);
      assertTrue(e.getMessage().contains("I8"),
          () -> "I8: the refusal names the rule: " + e.getMessage());
    }
    for (String bound : List.of("\ud800", "a\udc00", "a\ud83d")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> storage.iterObjects("", bound, 10).close(),
          () -> "I8/I7: a bound with an unpaired surrogate has no UTF-8 bytes: "
              + Generators.quote(bound));
      assertTrue(e.getMessage().contains("I7"),
          () -> "I7: the refusal names the rule: " + e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> storage.iterObjects("", null, 10).close(),
        "I8/I7: a null bound");
    assertThrows(NullPointerException.class, () -> storage.iterObjects(null, "", 10).close(),
        "I8: a null prefix");
    assertThrows(InvalidLocationException.class, () -> storage.iterObjects("/a", "", 10).close(),
        "L5: the prefix is checked as for iterContents(prefix)");
    assertEquals(List.of("a"), list(""), "I8: refused listings change nothing");
  }

  @Test
  @DisplayName("I8 with maxBytes 0 only empty objects may come with content, with 1 only those of at most one byte")
  void smallLimits() {
    Map<String, Integer> sizes = new TreeMap<>(Location.UTF8_ORDER);
    sizes.putAll(Map.of("z/a", 0, "z/b", 1, "z/c", 2, "z/d/e", 0, "z/d/f", 100, "z/g", 1));
    sizes.forEach((location, size) -> storage.storeBytes(location, new Content(size, 7).bytes()));
    List<String> all = new ArrayList<>(sizes.keySet());
    for (int maxBytes : new int[] {0, 1}) {
      String call = "iterObjects(\"z/\", \"\", " + maxBytes + ")";
      List<ListedObject> listed = objectsAfter("z/", "", maxBytes);
      assertEquals(all, locationsOf(listed), "I8: " + call + " lists every object");
      for (ListedObject object : listed) {
        assertListed(object, maxBytes, call);
      }
    }
  }

  @Test
  @DisplayName("I8 an object listed without content refuses content() and metadata() (IllegalStateException)")
  void withoutContent() {
    storage.storeBytes("w/big", new Content(100, 1).bytes());
    List<ListedObject> listed = objectsAfter("w/", "", 10);
    assertEquals(List.of("w/big"), locationsOf(listed), "I8: the listing of w/");
    ListedObject big = listed.get(0);
    assertFalse(big.hasContent(), "I8: an object of 100 bytes comes without content when"
        + " maxBytes is 10");
    IllegalStateException content = assertThrows(IllegalStateException.class, big::content,
        "I8: content() of an object listed without content");
    assertTrue(content.getMessage().contains("I8") && content.getMessage().contains("w/big"),
        () -> "I8: the refusal names the rule and the location: " + content.getMessage());
    IllegalStateException metadata = assertThrows(IllegalStateException.class, big::metadata,
        "I8: metadata() of an object listed without content");
    assertTrue(metadata.getMessage().contains("I8"),
        () -> "I8: the refusal names the rule: " + metadata.getMessage());
  }

  @Test
  @DisplayName("I8 I3 a listing of objects can be read in part and closed, and read again")
  void partialObjectListing() {
    List<String> all = storeNumbered("i8/%03d", 60);
    try (Stream<ListedObject> listing = storage.iterObjects("i8/", "", 16)) {
      Iterator<ListedObject> it = listing.iterator();
      List<String> head = new ArrayList<>();
      for (int i = 0; i < 5 && it.hasNext(); i++) {
        head.add(it.next().location());
      }
      assertEquals(all.subList(0, 5), head, "I8/I3: the first objects of a listing");
    }
    try (Stream<ListedObject> listing = storage.iterObjects("i8/", "i8/0095", 16)) {
      assertEquals(all.subList(10, 13), locationsOf(listing.limit(3).toList()),
          "I8/I3: limit on a listing after a bound");
    }
    List<ListedObject> listed = objectsAfter("i8/", "", 16);
    assertEquals(all, locationsOf(listed), "I8/I3: a listing read to its end after partial ones");
    for (ListedObject object : listed) {
      assertListed(object, 16, "iterObjects(\"i8/\", \"\", 16)");
    }
    assertEquals(all.subList(10, 60), locationsOf(objectsAfter("i8/", "i8/009", 16)),
        "I8/I3: a listing after the bound read to its end after partial ones");
  }

  @Test
  @DisplayName("I8 I4 a listing of objects survives objects stored and deleted while it runs")
  void changesDuringObjectListing() {
    List<ListedObject> seen = listAfterBoundAroundChanges("i8", "I8",
        bound -> storage.iterObjects("i8/", bound, 16), ListedObject::location);
    for (ListedObject object : seen) {
      if (!object.hasContent()) {
        continue;
      }
      String location = object.location();
      List<byte[]> versions = location.equals("i8/35x") ? List.of(new byte[] {1})
          : location.equals("i8/25") ? List.of(new byte[] {25}, new byte[] {9})
          : List.of(new byte[] {(byte) Integer.parseInt(location.substring(3))});
      assertTrue(versions.stream().anyMatch(v -> Arrays.equals(v, object.content())),
          () -> "I8: " + location + " listed while objects changed must come with the content of"
              + " one whole version it had, or without content; it came with "
              + Arrays.toString(object.content()));
      assertEquals(Content.metadataOf(object.content()), object.metadata(),
          "I8: the metadata of " + location + " describes its content");
    }
  }

  @Test
  @DisplayName("I8 a backend that reads with its listing lists every small object left alone with its content")
  void readWithListing() {
    assumeCapability(caps.objectsReadWithListing(), "objectsReadWithListing",
        "the test checks that iterObjects reads every object of at most maxBytes and at most "
            + Capabilities.READ_WITH_LISTING_BYTES + " bytes in the same pass as its listing");
    Map<String, Integer> sizes = new TreeMap<>(Location.UTF8_ORDER);
    sizes.putAll(Map.of("r/0", 0, "r/d/1", 1, "r/d/e/100", 100, "r/1024", 1024,
        "r/x1025", 1025, "r/y5000", 5000, "r/z", 7));
    sizes.forEach((location, size) -> storage.storeBytes(location, new Content(size, 3).bytes()));
    List<String> all = new ArrayList<>(sizes.keySet());
    for (int maxBytes : new int[] {0, 100, 1024, 1025, Integer.MAX_VALUE}) {
      for (String bound : List.of("", "r/d/")) {
        String call = "iterObjects(\"r/\", " + Generators.quote(bound) + ", " + maxBytes + ")";
        List<ListedObject> listed = objectsAfter("r/", bound, maxBytes);
        assertEquals(all.stream().filter(l -> Location.UTF8_ORDER.compare(l, bound) > 0).toList(),
            locationsOf(listed), "I8: " + call + " lists every object after the bound");
        long read = listed.stream().filter(ListedObject::hasContent).count();
        long readable = listed.stream().map(o -> sizes.get(o.location()))
            .filter(size -> size <= Math.min(maxBytes, Capabilities.READ_WITH_LISTING_BYTES))
            .count();
        assertTrue(read >= readable, () -> "I8: a backend that declares objectsReadWithListing"
            + " must list every object of at most maxBytes and at most "
            + Capabilities.READ_WITH_LISTING_BYTES + " bytes with its content; " + call
            + " read " + read + " of the " + readable + " it should have read: " + listed);
        for (ListedObject object : listed) {
          assertListed(object, maxBytes, call);
        }
      }
    }
  }

  @Test
  @DisplayName("I8 R3 an object damaged behind the backend's back is never listed with the damaged bytes, and loadObject reports it")
  void damagedObjectListed() throws Exception {
    assumeCorrupter();
    Content original = new Content(64, 5);
    Metadata recorded = storage.storeBytes("c/a", original.bytes());
    storage.storeBytes("c/b", new Content(10, 6).bytes());
    corrupt("c/a");
    for (int maxBytes : new int[] {64, 1024}) {
      String call = "iterObjects(\"c/\", \"\", " + maxBytes + ")";
      List<ListedObject> listed = assertDoesNotThrow(() -> objectsAfter("c/", "", maxBytes),
          "I8: a listing must not fail because an object was damaged: its loadObject reports it");
      assertEquals(List.of("c/a", "c/b"), locationsOf(listed), "I8: " + call);
      ListedObject damaged = listed.get(0);
      if (damaged.hasContent()) {
        assertEquals(recorded, damaged.metadata(), "I8/R3: " + call + " gave c/a, damaged behind"
            + " the backend's back, with the metadata of the damaged bytes: content read with a"
            + " listing must be checked against the metadata recorded at store time");
        assertArrayEquals(original.bytes(), damaged.content(), "I8: the content of c/a");
      }
      assertListed(listed.get(1), maxBytes, call);
    }
    assertThrows(ChangedExternalResourceException.class, () -> {
      try (StoredObject object = storage.loadObject("c/a")) {
        object.stream().readAllBytes();
      }
    }, "I8/R2: loadObject of the object listed without content reports the damage");
  }

  /**
   * Checks what {@code call} listed as {@code object}: if it came with content, at most {@code
   * maxBytes} bytes, equal to what {@code loadBytes} gives now, with the metadata {@code
   * getMetadata} gives (the store is left alone meanwhile); if it came without, that a backend
   * with {@link Capabilities#objectsReadWithListing()} had a reason: the object is over {@code
   * maxBytes} or over {@link Capabilities#READ_WITH_LISTING_BYTES}.
   */
  private void assertListed(ListedObject object, int maxBytes, String call) {
    String location = object.location();
    if (object.hasContent()) {
      byte[] content = object.content();
      assertTrue(content.length <= maxBytes, () -> "I8: " + call + " listed "
          + Generators.quote(location) + " with " + content.length + " bytes of content");
      assertArrayEquals(storage.loadBytes(location), content,
          () -> "I8: " + call + " listed " + Generators.quote(location) + " with other content"
              + " than loadBytes gives");
      assertEquals(storage.getMetadata(location), object.metadata(),
          () -> "I8: " + call + " listed " + Generators.quote(location) + " with other metadata"
              + " than getMetadata gives");
      assertEquals(Content.metadataOf(content), object.metadata(),
          () -> "I8: the metadata " + call + " gave " + Generators.quote(location) + " must be"
              + " the MD5 and size of its content");
    } else if (caps.objectsReadWithListing()) {
      long size = storage.getMetadata(location).size();
      assertTrue(size > Math.min(maxBytes, Capabilities.READ_WITH_LISTING_BYTES),
          () -> "I8: the backend declares objectsReadWithListing, yet " + call + " listed "
              + Generators.quote(location) + " (" + size + " bytes, left alone) without content");
    }
  }

  /** The listings of the I7 property: a prefix of {@code locations}, and bounds around them. */
  private static Gen<BoundedListing> boundedListings(List<String> locations) {
    return Generators.listingPrefixesOf(locations).flatMap(
        prefix -> SourceDSL.lists().of(Generators.boundsAround(locations, prefix))
            .ofSizeBetween(1, 4).map(bounds -> new BoundedListing(prefix, bounds)));
  }

  /** The objects of {@code prefix} after {@code startAfter}, read to the end. */
  private List<ListedObject> objectsAfter(String prefix, String startAfter, int maxBytes) {
    try (Stream<ListedObject> listed = storage.iterObjects(prefix, startAfter, maxBytes)) {
      return listed.toList();
    }
  }

  private static List<String> locationsOf(List<ListedObject> objects) {
    return objects.stream().map(ListedObject::location).toList();
  }

  /**
   * Stores each of {@code locations} under {@code namespace}, the {@code i}th with {@code
   * content.apply(i)}, and adds each one stored to {@code stored} as it goes, so that a failure
   * midway still leaves {@code stored} naming every object to delete. A location that the backend
   * refuses because an object stored before it lies in its "directory", or it in the other's
   * (rule L1.2), is left out.
   */
  private void storeUnder(String namespace, List<String> locations, IntFunction<Content> content,
      Collection<String> stored) {
    for (int i = 0; i < locations.size(); i++) {
      String location = locations.get(i);
      try {
        storage.storeBytes(Op.at(namespace, location), content.apply(i).bytes());
        stored.add(location);
      } catch (ExternalResourceException e) {
        if (stored.stream().noneMatch(s -> Generators.nested(s, location))) {
          throw e;
        }
        // L1.2: this backend holds no object inside another's "directory"; leave it out.
      }
    }
  }

  private void deleteUnder(String namespace, Collection<String> stored) {
    for (String location : stored) {
      storage.deleteIfExists(Op.at(namespace, location));
    }
  }

  /**
   * Reads the first {@code first} locations of {@code listing}, runs {@code changes}, reads the
   * rest, which must not fail (I4), checks that the whole is strictly ascending (I2), and returns
   * it; closes the listing.
   */
  private static List<String> readAroundChanges(
      Stream<String> listing, int first, Runnable changes) {
    return readAroundChanges(listing, first, changes, location -> location);
  }

  /**
   * {@link #readAroundChanges(Stream, int, Runnable)} for a listing of elements that each have a
   * location, {@code locationOf(element)}.
   */
  private static <T> List<T> readAroundChanges(
      Stream<T> listing, int first, Runnable changes, Function<T, String> locationOf) {
    List<T> seen = new ArrayList<>();
    try (listing) {
      Iterator<T> it = listing.iterator();
      for (int i = 0; i < first && it.hasNext(); i++) {
        seen.add(it.next());
      }
      changes.run();
      assertDoesNotThrow(() -> it.forEachRemaining(seen::add),
          "I4: a listing must not fail because objects changed while it ran");
    }
    List<String> locations = seen.stream().map(locationOf).toList();
    for (int i = 1; i < locations.size(); i++) {
      assertTrue(Location.UTF8_ORDER.compare(locations.get(i - 1), locations.get(i)) < 0,
          "I2: a listing changed while it ran is still strictly ascending: " + locations);
    }
    return seen;
  }

  /**
   * Stores {@code count} one-byte objects named by {@code format} with the numbers 0 to {@code
   * count - 1} (which must sort in that order), and returns their locations in that order.
   */
  private List<String> storeNumbered(String format, int count) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String location = String.format(format, i);
      storage.storeBytes(location, new byte[] {(byte) i});
      all.add(location);
    }
    return all;
  }

  /** The listing of {@code prefix} after {@code startAfter}, read to its end. */
  private List<String> listAfter(String prefix, String startAfter) {
    try (Stream<String> listed = storage.iterContents(prefix, startAfter)) {
      return listed.toList();
    }
  }

  /** Generated case of the I7 property: locations stored, then listings with bounds. */
  record BoundedCase(List<String> locations, List<BoundedListing> listings) {
    @Override
    public String toString() {
      return "locations " + quoted(locations) + ", listings " + listings;
    }
  }

  /** One prefix listed, and the bounds it is listed after (under the run's namespace). */
  record BoundedListing(String prefix, List<String> bounds) {
    /** The empty bound, which bounds nothing, then each of {@link #bounds()} under {@code namespace}. */
    List<String> boundsUnder(String namespace) {
      List<String> under = new ArrayList<>();
      under.add("");
      bounds.forEach(b -> under.add(Op.at(namespace, b)));
      return under;
    }

    @Override
    public String toString() {
      return "prefix " + Generators.quote(prefix) + " after " + quoted(bounds);
    }
  }

  /** Generated case of the I8 property: locations stored with sizes, then listings of objects. */
  record ObjectsCase(List<String> locations, List<Integer> sizes, List<ObjectListing> listings) {
    @Override
    public String toString() {
      return "locations " + quoted(locations) + " of " + sizes + " bytes, listings " + listings;
    }
  }

  /** A listing of the I7 property, of objects of at most {@code maxBytes} read with it. */
  record ObjectListing(BoundedListing listing, int maxBytes) {
    @Override
    public String toString() {
      return listing + " with maxBytes " + maxBytes;
    }
  }

  /** Generated listing case: locations stored, prefixes listed. */
  record ListingCase(List<String> locations, List<String> prefixes) {
    @Override
    public String toString() {
      return "locations " + quoted(locations) + ", prefixes " + quoted(prefixes);
    }
  }

  @Test
  @DisplayName("I5 lists thousands of objects, across the backend's pages, each once and in order")
  void largeListing() throws Exception {
    int count = caps.largeListingSize();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      // Two shapes of name, so that the listing's order is not the order of storing.
      expected.add(i % 2 == 0 ? String.format("big/%05d", i) : String.format("big/o/%05d", i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> stores = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int first = t;
        stores.add(pool.submit(() -> {
          for (int i = first; i < count; i += 4) {
            storage.storeBytes(expected.get(i), new byte[] {(byte) i});
          }
          return null;
        }));
      }
      for (Future<?> f : stores) {
        getOrRethrow(f);
      }
    } finally {
      pool.shutdownNow();
    }
    storage.storeBytes("bigger", new byte[] {1});
    storage.storeBytes("bif", new byte[] {1});
    expected.sort(Location.UTF8_ORDER);
    List<String> listed = list("big/");
    if (!listed.equals(expected)) {
      Set<String> missing = new TreeSet<>(expected);
      listed.forEach(missing::remove);
      fail("I5: a listing of " + count + " objects must give each once, in order; it gave "
          + listed.size() + ", missing "
          + missing.stream().limit(10).toList() + (missing.size() > 10 ? "..." : "")
          + ", first difference at position " + firstDifference(expected, listed));
    }
    List<String> everything = new ArrayList<>(expected);
    everything.add(0, "bif");
    everything.add("bigger");
    assertEquals(everything, list(""), "I5: the listing of everything, each once, in order");
    List<String> inner = expected.stream().filter(l -> l.startsWith("big/o/")).toList();
    assertEquals(inner, list("big/o/"), "I5: the listing of a prefix holding half of them");
  }

  private static int firstDifference(List<String> expected, List<String> listed) {
    int i = 0;
    while (i < expected.size() && i < listed.size() && expected.get(i).equals(listed.get(i))) {
      i++;
    }
    return i;
  }
}
