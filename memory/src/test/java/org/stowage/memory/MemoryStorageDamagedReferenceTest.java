package org.stowage.memory;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;
import org.stowage.staging.CollectionRefusedException;
import org.stowage.staging.CollectionReport;
import org.stowage.staging.ContentCollector;
import org.stowage.staging.ReferenceCheck;
import org.stowage.staging.StorageManager;

/**
 * Content references in a second {@link MemoryStorage} ({@code referencesIn}), damaged behind its
 * back (a flipped bit in the digest or in the magic line), are never taken for roots or content: the collection refuses to sweep
 * and names it, and the reference check reports it (docs/staging.md, "Lifecycle").
 */
class MemoryStorageDamagedReferenceTest {
  @TempDir Path dir;

  @Test
  @DisplayName("references in another MemoryStorage, a bit flipped in one's digest and in another's magic line: the collection sweeps nothing and names them; fsck reports them")
  void damagedReferencesInAReferenceStoreStopTheCollection() throws IOException {
    try (MemoryStorage content = new MemoryStorage(); MemoryStorage references = new MemoryStorage()) {
      ContentAddressedStore cas = new ContentAddressedStore(content);
      Files.writeString(dir.resolve("a"), "named by the damaged digest");
      Files.writeString(dir.resolve("b"), "named by the damaged magic line");
      StorageManager m = StorageManager.builder(dir, references, "run", "unit").contentAddressed(cas).build();
      String digestHit = m.register("a");
      String magicHit = m.register("b");
      m.transfer();
      Digest garbage = cas.put("garbage".getBytes(UTF_8));
      String text = new String(references.loadBytes(digestHit), UTF_8);
      references.damage(digestHit, text.indexOf("sha256:") + "sha256:".length() + 10);
      references.damage(magicHit, 3);

      CollectionReport dry = ContentCollector.builder(cas).referencesIn(references).build().collect();
      assertEquals(List.of(
              new CollectionReport.UnreadableReference(digestHit, CollectionReport.UnreadableReference.Reason.DAMAGED,
                  dry.unreadable().get(0).detail()),
              new CollectionReport.UnreadableReference(magicHit, CollectionReport.UnreadableReference.Reason.DAMAGED,
                  dry.unreadable().get(1).detail())),
          dry.unreadable(), dry.toString());
      CollectionRefusedException e = assertThrows(CollectionRefusedException.class,
          () -> ContentCollector.builder(cas).referencesIn(references).dryRun(false).build().collect());
      assertEquals(digestHit, e.location().orElseThrow());
      try (java.util.stream.Stream<String> left = content.iterContents("cas/sha256/")) {
        assertEquals(3, left.count(), "a refused collection deletes nothing, garbage included");
      }
      assertTrue(cas.contains(garbage), "the garbage too");

      ReferenceCheck.Report check = ReferenceCheck.builder(cas).referencesIn(references).build().check();
      assertEquals(List.of(ReferenceCheck.Problem.Kind.DAMAGED_REFERENCE, ReferenceCheck.Problem.Kind.DAMAGED_REFERENCE),
          check.problems().stream().map(ReferenceCheck.Problem::kind).toList(), check.toString());
    }
  }
}
