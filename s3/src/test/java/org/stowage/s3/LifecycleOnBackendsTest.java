package org.stowage.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;
import org.stowage.filesystem.FileStorage;
import org.stowage.memory.MemoryStorage;
import org.stowage.staging.CollectionRefusedException;
import org.stowage.staging.CollectionReport;
import org.stowage.staging.ContentCollector;
import org.stowage.staging.Namespaces;
import org.stowage.staging.ReferenceCheck;
import org.stowage.staging.StorageManager;
import org.stowage.staging.UnitContext;

/**
 * The content store's lifecycle on each backend, through listings, metadata, small stores and
 * deletes only: attempts stored, the failed one deleted, a dry run, a collection, a check.
 */
@ExtendWith(S3TestEnvironment.class)
class LifecycleOnBackendsTest {
  @TempDir Path dir;

  @Test
  @DisplayName("lifecycle on S3 (s3proxy or MinIO): delete a failed attempt, collect its content, check the rest; references around the content tree's bounds each found once")
  void onS3(S3Endpoint endpoint) throws IOException {
    try (S3Storage s3 = endpoint.freshStorage().build(); S3Storage split = endpoint.freshStorage().build()) {
      lifecycle(s3);
      splitListing(split);
    }
  }

  @Test
  @DisplayName("a reference on S3 damaged behind the store's back (a byte flipped in its digest, its metadata kept): the collection sweeps nothing and names it; the check reports it")
  void damagedReferenceOnS3(S3Endpoint endpoint) throws IOException {
    try (S3Storage s3 = endpoint.freshStorage().build();
        software.amazon.awssdk.services.s3.S3Client raw = endpoint.client()) {
      ContentAddressedStore cas = new ContentAddressedStore(s3);
      Files.writeString(dir.resolve("a"), "named by the damaged reference");
      StorageManager m = StorageManager.builder(dir, s3, "run", "unit").contentAddressed(cas).build();
      String handle = m.register("a");
      m.transfer();
      Digest garbage = cas.put("garbage".getBytes(UTF_8));
      String text = new String(s3.loadBytes(handle), UTF_8);
      flipByte(raw, endpoint.bucket(), s3.rootPrefix() + handle, text.indexOf("sha256:") + "sha256:".length() + 10);

      CollectionReport dry = ContentCollector.builder(cas).build().collect();
      assertEquals(1, dry.unreadable().size(), dry.toString());
      assertEquals(handle, dry.unreadable().get(0).location());
      assertEquals(CollectionReport.UnreadableReference.Reason.DAMAGED, dry.unreadable().get(0).reason());
      CollectionRefusedException e = assertThrows(CollectionRefusedException.class,
          () -> ContentCollector.builder(cas).dryRun(false).build().collect());
      assertEquals(handle, e.location().orElseThrow());
      assertTrue(cas.contains(garbage), "a refused collection deletes nothing, garbage included");
      ReferenceCheck.Report check = ReferenceCheck.builder(cas).build().check();
      assertEquals(List.of(ReferenceCheck.Problem.Kind.DAMAGED_REFERENCE),
          check.problems().stream().map(ReferenceCheck.Problem::kind).toList(), check.toString());
    }
  }

  /** Flips one byte of an S3 object in place, keeping its user metadata (where Stowage keeps the MD5). */
  private static void flipByte(software.amazon.awssdk.services.s3.S3Client s3, String bucket, String key, int offset) {
    var head = s3.headObject(r -> r.bucket(bucket).key(key));
    byte[] data = s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    data[offset] ^= 0x01;
    s3.putObject(r -> r.bucket(bucket).key(key).metadata(head.metadata()),
        software.amazon.awssdk.core.sync.RequestBody.fromBytes(data));
  }

  @Test
  @DisplayName("lifecycle on MemoryStorage and FileStorage; references around the content tree's bounds each found once")
  void onMemoryAndFiles() throws IOException {
    try (MemoryStorage memory = new MemoryStorage(); FileStorage files = new FileStorage(dir.resolve("store"));
        MemoryStorage splitMemory = new MemoryStorage(); FileStorage splitFiles = new FileStorage(dir.resolve("split"))) {
      lifecycle(memory);
      lifecycle(files);
      splitListing(splitMemory);
      splitListing(splitFiles);
    }
  }

  /**
   * References moved to locations before the content tree {@code cas/sha256/}, inside it without
   * being content, at and past the bound the rest's listing starts after ({@code cas/sha256/} and
   * U+10FFFF), and after it: a dry run, a check and a collection each find every one once, list
   * every object once, and keep exactly the content they name.
   */
  private void splitListing(ExternalStorage storage) throws IOException {
    String where = " on " + storage;
    String max = new String(Character.toChars(Character.MAX_CODE_POINT));
    List<String> moved = List.of("a/ref", "cas/other.ref", "cas/sha256-x", "cas/sha256.ref", "cas/sha256/ref",
        "cas/sha256/ab/cd/not-content", "cas/sha256/" + max, "cas/sha256/" + max + "x/y", "cas/sha256" + max,
        "cas/sha2560/x", "cas/sha512/ref", "zzz/ref", max + "/ref");
    Path scratch = Files.createDirectories(dir.resolve("split-scratch-" + storage.getClass().getSimpleName()));
    ContentAddressedStore cas = new ContentAddressedStore(storage);
    StorageManager m = StorageManager.builder(scratch, storage, "run", "unit").contentAddressed(cas).build();
    List<String> handles = new ArrayList<>();
    for (int i = 0; i < moved.size(); i++) {
      Files.writeString(scratch.resolve("f" + i), "content named from " + moved.get(i));
      handles.add(m.register("f" + i));
    }
    m.transfer();
    for (int i = 0; i < moved.size(); i++) {
      storage.move(handles.get(i), moved.get(i));
    }
    storage.storeBytes("cas/sha256/plain.txt", "not a reference".getBytes(UTF_8));
    Digest garbage = cas.put("garbage".getBytes(UTF_8));
    long objects;
    try (java.util.stream.Stream<String> all = storage.iterContents()) {
      objects = all.count();
    }

    CollectionReport dry = ContentCollector.builder(cas).build().collect();
    assertEquals(moved.size(), dry.references(), dry + where);
    assertEquals(moved.size() + 1, dry.contentObjects(), dry + where);
    assertEquals(objects + 1, dry.objectsListed(), "each object and the marker listed once: " + dry + where);
    assertEquals(1, dry.reclaimableObjects(), dry + where);
    ReferenceCheck.Report check = ReferenceCheck.builder(cas).build().check();
    assertEquals(moved.size(), check.references(), check + where);
    assertTrue(check.referencesIntact(), check + where);
    assertEquals(List.of(cas.location(garbage)), check.unreferenced(), check + where);
    CollectionReport report = ContentCollector.builder(cas).dryRun(false).build().collect();
    assertEquals(1, report.reclaimedObjects(), report + where);
    assertFalse(cas.contains(garbage), where);
    for (int i = 0; i < moved.size(); i++) {
      assertArrayEquals(("content named from " + moved.get(i)).getBytes(UTF_8), m.load(moved.get(i)), moved.get(i) + where);
    }
  }

  private void lifecycle(ExternalStorage storage) throws IOException {
    String where = " on " + storage;
    List<String> handles = new ArrayList<>();
    for (int attempt = 1; attempt <= 2; attempt++) {
      try (UnitContext ctx = UnitContext.builder(storage, storage, "dag", "unit").attempt(attempt)
          .scratchRoot(Files.createDirectories(dir.resolve("scratch"))).contentAddressed(true).build()) {
        Files.writeString(ctx.scratch().resolve("result.txt"), attempt == 1 ? "partial" : "the result");
        Files.writeString(ctx.scratch().resolve("params.txt"), "same in both attempts");
        handles.add(ctx.permanent().register("result.txt"));
        handles.add(ctx.permanent().register("params.txt"));
        if (attempt == 2) {
          ctx.succeeded();
        }
      }
    }
    Namespaces.Deletion deleted = Namespaces.keepLatestSuccessfulAttempts(storage, "dag");
    assertEquals(List.of("dag/unit/attempt-1"), deleted.namespaces(), where);
    ContentAddressedStore cas = new ContentAddressedStore(storage);
    CollectionReport dry = ContentCollector.builder(cas).build().collect();
    assertEquals(1, dry.reclaimableObjects(), dry + where);
    assertEquals("partial".length(), dry.reclaimableBytes(), dry + where);
    CollectionReport report = ContentCollector.builder(cas).dryRun(false).build().collect();
    assertEquals(1, report.reclaimedObjects(), report + where);
    assertFalse(cas.contains(Digest.sha256("partial".getBytes(UTF_8))), where);
    ReferenceCheck.Report check = ReferenceCheck.builder(cas).build().check();
    assertTrue(check.referencesIntact(), check + where);
    assertEquals(2, check.references(), where);
    assertEquals(0, check.unreferencedCount(), where);
    try (UnitContext reader = UnitContext.builder(storage, storage, "dag", "reader")
        .scratchRoot(Files.createDirectories(dir.resolve("scratch"))).build()) {
      assertArrayEquals("the result".getBytes(UTF_8), reader.shared().load(handles.get(2)), where);
      assertArrayEquals("same in both attempts".getBytes(UTF_8), reader.shared().load(handles.get(3)), where);
    }
  }
}
