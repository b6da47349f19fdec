package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Metadata;
import org.stowage.TreeMapStorage;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

class ReferenceCheckTest {
  @TempDir Path dir;
  private final TreeMapStorage storage = new TreeMapStorage();
  private final ContentAddressedStore cas = new ContentAddressedStore(storage);

  private String transfer(String unit, String content) throws IOException {
    Path scratch = Files.createDirectories(dir.resolve(unit));
    Files.writeString(scratch.resolve("f"), content);
    StorageManager m = StorageManager.builder(scratch, storage, "run", unit).contentAddressed(cas).build();
    String handle = m.register("f");
    m.transfer();
    return handle;
  }

  @Test
  @DisplayName("fsck reports missing and damaged content and unreferenced content, and changes nothing")
  void findsProblems() throws IOException {
    transfer("good", "good content");
    String missing = transfer("missing", "missing content");
    String damaged = transfer("damaged", "damaged content");
    Digest garbage = cas.put("nobody refers to me".getBytes(UTF_8));
    Digest missingDigest = Digest.sha256("missing content".getBytes(UTF_8));
    Digest damagedDigest = Digest.sha256("damaged content".getBytes(UTF_8));
    cas.delete(missingDigest);
    // Same size and recorded MD5, other bytes: only a check by digest sees it.
    String at = cas.location(damagedDigest);
    Metadata recorded = storage.records.get(at);
    storage.objects.put(at, "DAMAGED content".getBytes(UTF_8));
    Map<String, byte[]> before = new java.util.TreeMap<>(storage.objects);

    ReferenceCheck.Report report = ReferenceCheck.builder(cas).build().check();
    assertEquals(3, report.references());
    assertEquals(3, report.contentObjects());
    assertEquals(2, report.problemCount());
    assertEquals(List.of(
        new ReferenceCheck.Problem(damaged, damagedDigest, ReferenceCheck.Problem.Kind.DAMAGED,
            report.problems().get(0).detail(), false),
        new ReferenceCheck.Problem(missing, missingDigest, ReferenceCheck.Problem.Kind.MISSING,
            "nothing is at " + cas.location(missingDigest), false)), report.problems());
    assertEquals(1, report.unreferencedCount());
    assertEquals(List.of(cas.location(garbage)), report.unreferenced());
    assertFalse(report.referencesIntact());
    assertEquals(recorded, storage.records.get(at));
    assertEquals(before.keySet(), storage.objects.keySet(), "a report, never a silent fix");

    ReferenceCheck.Report sampled = ReferenceCheck.builder(cas).verifyFraction(0).build().check();
    assertEquals(0, sampled.verified());
    assertEquals(1, sampled.problemCount(), "without reading, only the missing content is seen");
  }

  @Test
  @DisplayName("relink of a location with no object says it is missing; of an ordinary object, that it is no reference")
  void relinkNothingThere() {
    org.junit.jupiter.api.Assertions.assertThrows(org.stowage.MissingExternalResourceException.class,
        () -> ReferenceCheck.relink(storage, "run/none", cas));
    storage.storeBytes("run/plain", "plain output".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ReferenceCheck.relink(storage, "run/plain", cas));
  }

  @Test
  @DisplayName("relink points a reference whose content location is wrong to present content of the same digest")
  void relinks() throws IOException {
    String handle = transfer("u", "relocated");
    Digest d = Digest.sha256("relocated".getBytes(UTF_8));
    ContentReference original = ContentReference.parse(storage.loadBytes(handle));
    storage.storeBytes(handle, new ContentReference(d, original.metadata(), "old-cas/sha256/x").toBytes());
    ReferenceCheck.Report report = ReferenceCheck.builder(cas).build().check();
    assertEquals(1, report.problemCount());
    assertTrue(report.problems().get(0).relinkable());
    assertTrue(ReferenceCheck.relink(storage, handle, cas));
    assertFalse(ReferenceCheck.relink(storage, handle, cas), "already right");
    assertTrue(ReferenceCheck.builder(cas).build().check().referencesIntact());
    assertArrayEquals("relocated".getBytes(UTF_8), new StorageManager(dir, storage, "c", "r").load(handle));
    cas.delete(d);
    assertFalse(ReferenceCheck.relink(storage, handle, cas), "no content of that digest: nothing to link to");
  }

  @Test
  @DisplayName("fsck reports damaged and malformed references as such, and relink refuses a damaged one")
  void damagedAndMalformedReferences() throws IOException {
    String damaged = transfer("damaged", "its reference is damaged");
    transfer("good", "good content");
    ContentCollectorTest.flipDigestHex(storage.objects, damaged);
    storage.storeBytes("run/malformed", "stowage-content-reference 1\ndigest sha256:zz\n".getBytes(UTF_8));

    ReferenceCheck.Report report = ReferenceCheck.builder(cas).build().check();
    assertFalse(report.referencesIntact());
    assertEquals(2, report.problemCount());
    assertEquals(1, report.references(), "only the good one is a reference");
    assertEquals(List.of(
        new ReferenceCheck.Problem(damaged, null, ReferenceCheck.Problem.Kind.DAMAGED_REFERENCE,
            report.problems().get(0).detail(), false),
        new ReferenceCheck.Problem("run/malformed", null, ReferenceCheck.Problem.Kind.MALFORMED_REFERENCE,
            report.problems().get(1).detail(), false)), report.problems());
    org.junit.jupiter.api.Assertions.assertThrows(org.stowage.ChangedExternalResourceException.class,
        () -> ReferenceCheck.relink(storage, damaged, cas));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ReferenceCheck.relink(storage, "run/malformed", cas));
  }
}
