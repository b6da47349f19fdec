package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.TreeMapStorage;
import org.stowage.cas.ContentAddressedStore;

/**
 * The content tree is listed on a thread of its own while the collecting thread lists the rest;
 * progress still reaches the listener on the collecting thread as the tree is listed (a store of
 * much content and few references must not go silent until the tree is done), and a failure of
 * the tree's listing fails the collection and leaves no thread behind.
 */
class SplitListingTest {
  private static final int CONTENT = 30_001;

  @Test
  @DisplayName("a collection of a store of content only reports MARK progress while the content tree is listed")
  void markProgressWhileTheTreeIsListed() {
    TreeMapStorage storage = new TreeMapStorage();
    ContentAddressedStore cas = new ContentAddressedStore(storage);
    for (int i = 0; i < CONTENT; i++) {
      cas.put(("content " + i).getBytes(UTF_8));
    }
    List<ContentCollector.Progress> progress = new CopyOnWriteArrayList<>();
    CollectionReport report = ContentCollector.builder(cas).listener(progress::add).build().collect();
    assertEquals(CONTENT, report.contentObjects());
    long total = report.objectsListed();
    List<Long> intermediate = progress.stream()
        .filter(p -> p.phase() == ContentCollector.Phase.MARK && p.objectsListed() < total)
        .map(ContentCollector.Progress::objectsListed)
        .toList();
    assertTrue(intermediate.size() >= 2,
        "MARK reports before the listing ended (one per 10,000 listed expected, 3 here): " + intermediate
            + "; all MARK reports: " + progress.stream().filter(p -> p.phase() == ContentCollector.Phase.MARK)
                .map(ContentCollector.Progress::objectsListed).toList());
  }

  @Test
  @DisplayName("a failure of the content tree's listing fails the collection, and leaves no listing thread behind")
  void treeFailurePropagates() {
    TreeMapStorage storage = new TreeMapStorage() {
      @Override
      protected synchronized java.util.stream.Stream<String> listObjects(String prefix) throws java.io.IOException {
        if (prefix.equals("cas/sha256/")) {
          throw new java.io.IOException("tree listing refused");
        }
        return super.listObjects(prefix);
      }
    };
    ContentAddressedStore cas = new ContentAddressedStore(storage);
    cas.put("x".getBytes(UTF_8));
    org.stowage.ExternalResourceException e = org.junit.jupiter.api.Assertions.assertThrows(
        org.stowage.ExternalResourceException.class, () -> ContentCollector.builder(cas).build().collect());
    assertTrue(String.valueOf(e.getMessage()).contains("tree listing refused"), e.toString());
    assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().endsWith("-content-tree")),
        "no content-tree thread left");
  }
}
