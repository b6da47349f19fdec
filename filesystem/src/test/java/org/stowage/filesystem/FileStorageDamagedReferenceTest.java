package org.stowage.filesystem;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
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
 * Content references whose files are damaged on disk, behind the {@link FileStorage}'s back: a bit
 * flipped in the digest's hex keeping the file's time (caught by the MD5 of the bytes read, R2),
 * and the magic line rewritten in place (caught by the record's check of the file's time, R3). The
 * collection sweeps nothing and names both; the reference check reports them.
 */
class FileStorageDamagedReferenceTest {
  @TempDir Path dir;

  @Test
  @DisplayName("reference files damaged on disk (digest hex, magic line): the collection sweeps nothing and names them; fsck reports them")
  void damagedReferenceFilesStopTheCollection() throws IOException {
    Path root = dir.resolve("store");
    try (FileStorage storage = new FileStorage(root)) {
      ContentAddressedStore cas = new ContentAddressedStore(storage);
      Path scratch = Files.createDirectories(dir.resolve("scratch"));
      Files.writeString(scratch.resolve("a"), "named by the damaged digest");
      Files.writeString(scratch.resolve("b"), "named by the damaged magic line");
      Files.writeString(scratch.resolve("c"), "named by a sound reference");
      StorageManager m = StorageManager.builder(scratch, storage, "run", "unit").contentAddressed(cas).build();
      String digestHit = m.register("a");
      String magicHit = m.register("b");
      m.register("c");
      m.transfer();
      Digest garbage = cas.put("garbage".getBytes(UTF_8));
      storage.storeBytes("run/notes.txt", "ordinary content, not a root".getBytes(UTF_8));

      Path digestFile = root.resolve(digestHit);
      String text = Files.readString(digestFile);
      Disk.flipByteKeepingTime(digestFile, text.indexOf("sha256:") + "sha256:".length() + 20);
      Path magicFile = root.resolve(magicHit);
      FileTime modified = Files.getLastModifiedTime(magicFile);
      Files.writeString(magicFile, Files.readString(magicFile).replace("stowage-content-reference", "stowage-content-referencf"));
      Files.setLastModifiedTime(magicFile, FileTime.fromMillis(modified.toMillis() + 2000));

      CollectionReport dry = ContentCollector.builder(cas).build().collect();
      assertTrue(dry.refused(), dry.toString());
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
      assertEquals(List.of(digestHit, magicHit),
          check.problems().stream().map(ReferenceCheck.Problem::location).toList(), check.toString());
      assertTrue(check.problems().stream().allMatch(p -> p.kind() == ReferenceCheck.Problem.Kind.DAMAGED_REFERENCE),
          check.toString());

      // Dealt with (here: stored again from a good copy, and deleted), the collection sweeps again.
      storage.delete(magicHit);
      storage.storeBytes(digestHit, text.getBytes(UTF_8));
      CollectionReport report = ContentCollector.builder(cas).dryRun(false).build().collect();
      assertEquals(2, report.reclaimedObjects(), report.toString());
      assertTrue(cas.contains(Digest.sha256("named by the damaged digest".getBytes(UTF_8))));
    }
  }
}
