package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ListedObject;
import org.stowage.Metadata;
import org.stowage.TreeMapStorage;
import org.stowage.cas.ContentAddressedStore;

/**
 * A collection over a store that lists small objects with their content (rule I8): the references
 * that come with their content are sorted without a read, and what the listing hands over does not
 * change a verdict: a damaged reference (its bytes no longer match its record, so the core passes
 * it on without content) is read and reported damaged, a malformed one is reported malformed.
 */
class ContentCollectorListedContentTest {
  @TempDir Path dir;

  /** A store whose listing hands over each object of at most {@code maxBytes} with its record. */
  private static final class ListingWithContent extends TreeMapStorage {
    @Override
    protected synchronized Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes)
        throws IOException {
      List<ListedObject> listed = new ArrayList<>();
      try (Stream<String> locations = listObjects(prefix, startAfter)) {
        locations.forEach(location -> {
          byte[] data = objects.get(location);
          Metadata record = records.get(location);
          listed.add(data != null && record != null && data.length <= maxBytes
              ? ListedObject.withContent(location, record, data.clone())
              : ListedObject.of(location));
        });
      }
      return listed.stream();
    }
  }

  private final ListingWithContent storage = new ListingWithContent();
  private final ContentAddressedStore cas = new ContentAddressedStore(storage);

  private List<String> transfer(String dag, String unit, String... namesAndContents) throws IOException {
    return ContentCollectorTest.transfer(dir, storage, cas, dag, unit, namesAndContents);
  }

  private long reads(String location) {
    synchronized (storage.hookCalls) {
      return storage.hookCalls.stream().filter(c -> c.equals("open " + location)).count();
    }
  }

  @Test
  @DisplayName("I8 references listed with their content are sorted without a read; a collection keeps what they name and reclaims the rest")
  void referencesListedWithContentNeedNoRead() throws IOException {
    List<String> kept = transfer("run-1", "a", "x.txt", "shared", "y.txt", "only-a");
    transfer("run-2", "b", "z.txt", "only-b");
    Namespaces.deleteRun(storage, "run-2");
    storage.hookCalls.clear();

    CollectionReport report = ContentCollector.builder(cas).dryRun(false).build().collect();
    assertEquals(1, report.reclaimedObjects(), report.toString());
    assertEquals(0, report.unreadableCount(), report.toString());
    for (String reference : kept) {
      assertEquals(0, reads(reference), reference + " was read though it came with the listing");
    }
  }

  @Test
  @DisplayName("I8 a damaged reference listed with its content is read and reported damaged, a malformed one malformed: the sweep stops")
  void damagedAndMalformedStillReported() throws IOException {
    List<String> damaged = transfer("run-1", "a", "x.txt", "named by a damaged reference");
    List<String> intact = transfer("run-1", "b", "y.txt", "named by an intact reference");
    ContentCollectorTest.flipDigestHex(storage.objects, damaged.get(0)); // its record no longer fits
    storage.storeBytes("run-1/v2", "stowage-content-reference 2\nsomething newer\n".getBytes(UTF_8));
    storage.hookCalls.clear();

    CollectionReport dry = ContentCollector.builder(cas).build().collect();
    assertTrue(dry.refused(), dry.toString());
    assertEquals(List.of(damaged.get(0), "run-1/v2"),
        dry.unreadable().stream().map(CollectionReport.UnreadableReference::location).toList());
    assertEquals(List.of(CollectionReport.UnreadableReference.Reason.DAMAGED,
            CollectionReport.UnreadableReference.Reason.MALFORMED),
        dry.unreadable().stream().map(CollectionReport.UnreadableReference::reason).toList());
    assertTrue(reads(damaged.get(0)) >= 1, "the damaged reference was read for its verdict");
    assertEquals(0, reads(intact.get(0)), "the intact one came with the listing");
  }
}
