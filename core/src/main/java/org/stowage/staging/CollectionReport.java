package org.stowage.staging;

import java.time.Duration;
import java.util.List;
import org.stowage.cas.Digest;

/**
 * What a {@link ContentCollector#collect()} found and did.
 *
 * @param dryRun whether it only reported (deleted nothing)
 * @param objectsListed objects listed in the content store and the other reference stores
 * @param references content references found (objects that parse as references), plus the late
 *     roots of writers that committed references while it marked
 * @param referencedDigests distinct digests referenced, including the caller's roots
 * @param contentObjects content objects listed
 * @param reclaimableObjects content objects that nothing referenced
 * @param reclaimableBytes their bytes
 * @param reclaimedObjects content objects this collection deleted (0 in a dry run; fewer than
 *     reclaimable if some were deleted by someone else meanwhile)
 * @param reclaimedBytes their bytes
 * @param danglingCount references whose content was absent when checked after the listing
 * @param dangling the first {@link ContentCollector#MAX_LISTED_DANGLING} of them
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
   * @param filterBytes the heap the Bloom filters held, in bytes
   * @param elapsed how long the collection took
   */
  public CollectionReport {
    dangling = List.copyOf(dangling);
  }

  /**
   * A reference whose content is absent.
   *
   * @param location where the reference is stored
   * @param digest the content it names
   */
  public record DanglingReference(String location, Digest digest) {}

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "%s: %d objects listed, %d references to %d digests, %d content objects; %d objects (%d bytes)"
            + " reclaimable, %d objects (%d bytes) reclaimed; %d dangling references; filters %d bytes; %d ms",
        dryRun ? "dry run" : "collection", objectsListed, references, referencedDigests, contentObjects,
        reclaimableObjects, reclaimableBytes, reclaimedObjects, reclaimedBytes, danglingCount,
        filterBytes, elapsed.toMillis());
  }
}
