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
 * A content reference damaged behind a {@link MemoryStorage}'s back (a flipped bit in its digest
 * or in its magic line) is never taken for a root or for content: the collection refuses to sweep
 * and names it, and the reference check reports it (docs/staging.md, "Lifecycle").
 */
class MemoryStorageDamagedReferenceTest {
  @TempDir Path dir;

  @Test
  @DisplayName("a flipped bit in a reference's digest or magic line: the collection sweeps nothing and names it; fsck reports it")
  void damagedReferencesStopTheCollection() throws IOException {
    try (MemoryStorage storage = new MemoryStorage()) {
      ContentAddressedStore cas = new ContentAddressedStore(storage);
      Files.writeString(dir.resolve("a"), "named by the damaged digest");
      Files.writeString(dir.resolve("b"), "named by the damaged magic line");
      StorageManager m = StorageManager.builder(dir, storage, "run", "unit").contentAddressed(cas).build();
      String digestHit = m.register("a");
      String magicHit = m.register("b");
      m.transfer();
      Digest garbage = cas.put("garbage".getBytes(UTF_8));
      String text = new String(storage.loadBytes(digestHit), UTF_8);
      storage.damage(digestHit, text.indexOf("sha256:") + "sha256:".length() + 10);
      storage.damage(magicHit, 3);

      CollectionReport dry = ContentCollector.builder(cas).build().collect();
      assertEquals(List.of(digestHit, magicHit),
          dry.unreadable().stream().map(CollectionReport.UnreadableReference::location).sorted().toList(), dry.toString());
      assertTrue(dry.unreadable().stream()
          .allMatch(u -> u.reason() == CollectionReport.UnreadableReference.Reason.DAMAGED), dry.toString());
      CollectionRefusedException e = assertThrows(CollectionRefusedException.class,
          () -> ContentCollector.builder(cas).dryRun(false).build().collect());
      assertTrue(e.getMessage().contains(digestHit) && e.getMessage().contains(magicHit), e.getMessage());
      assertTrue(cas.contains(Digest.sha256("named by the damaged digest".getBytes(UTF_8))));
      assertTrue(cas.contains(Digest.sha256("named by the damaged magic line".getBytes(UTF_8))));
      assertTrue(cas.contains(garbage), "a refused collection deletes nothing, garbage included");

      ReferenceCheck.Report check = ReferenceCheck.builder(cas).build().check();
      assertEquals(2, check.problemCount(), check.toString());
      assertTrue(check.problems().stream().allMatch(p -> p.kind() == ReferenceCheck.Problem.Kind.DAMAGED_REFERENCE),
          check.toString());
    }
  }
}
