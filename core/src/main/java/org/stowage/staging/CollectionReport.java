package org.stowage.staging;

import java.time.Duration;
import java.util.List;
import org.stowage.cas.Digest;

/**
 * What a {@link ContentCollector#collect()} found and did.
 *
 * <p>A collection that found {@linkplain #unreadable() unreadable references} did not sweep: it
 * has {@link #refused()} true, reports no reclaimable content and deleted nothing. A dry run
 * returns such a report; a real run throws {@link CollectionRefusedException}, which carries it.
 *
 * @param dryRun whether it only reported (deleted nothing)
 * @param objectsListed objects listed in the content store and the other reference stores
 * @param references content references found (objects whose bytes verify and parse as
 *     references), plus the late roots of writers that committed references while it marked
 * @param referencedDigests distinct digests referenced, including the caller's roots
 * @param contentObjects content objects listed
 * @param reclaimableObjects content objects that nothing referenced (0 if it {@linkplain #refused()
 *     refused} to sweep)
 * @param reclaimableBytes their bytes
 * @param reclaimedObjects content objects this collection deleted (0 in a dry run; fewer than
 *     reclaimable if some were deleted by someone else meanwhile)
 * @param reclaimedBytes their bytes
 * @param danglingCount references whose content was absent when checked after the listing
 * @param dangling the first {@link ContentCollector#MAX_LISTED_DANGLING} of them
 * @param unreadableCount objects outside the content tree that may be references but cannot be
 *     trusted: damaged (their bytes do not match the metadata the store recorded) or malformed
 *     (they begin with the reference magic but do not parse); any makes the collection refuse to
 *     sweep
 * @param unreadable the first {@link ContentCollector#MAX_LISTED_UNREADABLE} of them, sorted by
 *     location
 * @param filterBytes heap held by the collection's two Bloom filters
 * @param elapsed how long the collection took
 */
public record CollectionReport(
    boolean dryRun,
    long objectsListed,
    long references,
    long referencedDigests,
    long contentObjects,
    long reclaimableObjects,
    long reclaimableBytes,
    long reclaimedObjects,
    long reclaimedBytes,
    long danglingCount,
    List<DanglingReference> dangling,
    long unreadableCount,
    List<UnreadableReference> unreadable,
    long filterBytes,
    Duration elapsed) {

  /**
   * Copies the list.
   *
   * @param dryRun whether the collection only reported
   * @param objectsListed how many objects were listed, in every store scanned
   * @param references how many content references were found, late roots included
   * @param referencedDigests how many distinct digests were referenced, roots included
   * @param contentObjects how many content objects were listed
   * @param reclaimableObjects how many content objects nothing referenced
   * @param reclaimableBytes the bytes of those objects
   * @param reclaimedObjects how many content objects this collection deleted
   * @param reclaimedBytes the bytes of those objects
   * @param danglingCount how many references named absent content
   * @param dangling the first of those references, copied
   * @param unreadableCount how many objects might be references but are damaged or malformed
   * @param unreadable the first of those objects, copied
   * @param filterBytes the heap the Bloom filters held, in bytes
   * @param elapsed how long the collection took
   */
  public CollectionReport {
    dangling = List.copyOf(dangling);
    unreadable = List.copyOf(unreadable);
  }

  /**
   * Whether the collection refused to sweep because it found unreadable references: then nothing
   * was found reclaimable, nothing was deleted, and {@link #unreadable()} says where to look.
   *
   * @return true if {@link #unreadableCount()} is not zero
   */
  public boolean refused() {
    return unreadableCount > 0;
  }

  /**
   * A reference whose content is absent.
   *
   * @param location where the reference is stored
   * @param digest the content it names
   */
  public record DanglingReference(String location, Digest digest) {}

  /**
   * An object outside the content tree that may be a content reference but cannot be read as one
   * safely, so the content it names is unknown: a root the collection cannot trust.
   *
   * @param location where the object is stored (in the content store or a {@linkplain
   *     ContentCollector.Builder#referencesIn reference store})
   * @param reason what is wrong with it
   * @param detail what was found, for people: the store's error for a damaged object, what does
   *     not parse for a malformed one
   */
  public record UnreadableReference(String location, Reason reason, String detail) {
    /** Why an object cannot be trusted as a reference or as content. */
    public enum Reason {
      /**
       * Damaged: the store reports the object changed behind its back (rule R3), or its bytes do
       * not match the MD5 and size the store recorded for them (R2). Whether it was a reference,
       * and which content it named, cannot be told.
       */
      DAMAGED,
      /**
       * Malformed: the object's bytes are the ones stored, and begin with the reference magic
       * ({@code stowage-content-reference }), but do not parse as a reference this library reads
       * (a damaged line written as such, a reference over 1,024 bytes, or another version).
       */
      MALFORMED
    }
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "%s: %d objects listed, %d references to %d digests, %d content objects; %d objects (%d bytes)"
            + " reclaimable, %d objects (%d bytes) reclaimed; %d dangling references; %d unreadable references%s;"
            + " filters %d bytes; %d ms",
        dryRun ? "dry run" : "collection", objectsListed, references, referencedDigests, contentObjects,
        reclaimableObjects, reclaimableBytes, reclaimedObjects, reclaimedBytes, danglingCount,
        unreadableCount, refused() ? " (sweep refused)" : "", filterBytes, elapsed.toMillis());
  }
}
