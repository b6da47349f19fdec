package org.stowage.testkit;

import java.util.Objects;
import java.util.Optional;
import org.stowage.Location;

/**
 * What a backend under test can do beyond the contract every backend keeps, so that {@link
 * ExternalStorageContract} knows which optional checks to run. A check whose capability is
 * missing is reported as skipped, with a message naming the capability; it never passes silently.
 *
 * <p>Start from {@link #none()} and add what the backend has:
 *
 * <pre>{@code
 * Capabilities.none()
 *     .withCrossProcessSafety(true)
 *     .withLocalFileUris(true)
 *     .withMaxObjectSize(8L << 20)
 *     .withCorrupter((storage, location) -> flipOneByteOfTheFileOf(storage, location))
 * }</pre>
 *
 * @param crossProcessSafety the backend is safe for several processes sharing one root (rule T1).
 *     The kit checks it with two instances in one JVM: when true, a second call of {@link
 *     ExternalStorageContract#newStorage()} within one test must return a second, independent
 *     instance over the same stored objects (for a filesystem backend: the same directory), and the
 *     two must behave as one store, down to exactly one winner of a {@code CREATE} race
 * @param localFileUris {@link org.stowage.ExternalStorage#uri(String) uri(location)} returns a
 *     {@code file:} URI, and the file it names holds the object's bytes. Also enables the checks
 *     that need the files: no escape through symbolic links (L4) and no empty directories left
 *     behind by a delete (D1)
 * @param maxObjectSize the largest object, in bytes, that the kit stores; generated contents are
 *     cut to this size. At least {@value #MIN_MAX_OBJECT_SIZE} (64 KiB); the default is {@value #DEFAULT_MAX_OBJECT_SIZE} (4 MiB). Lower
 *     it for a slow backend, raise it to cover buffer boundaries of a backend with large parts (the
 *     kit tries 64 KiB and 1 MiB, each plus and minus one byte, when they fit)
 * @param corrupter how to damage a stored object behind the backend's back, for the checks of R2,
 *     R3 and R4; empty if the test cannot do that. Without one, a backend with {@code
 *     localFileUris} is damaged through the file its {@code uri} names instead
 * @param maxLocationBytes the longest location, in UTF-8 bytes, that the backend accepts (rule
 *     L1.3): {@value org.stowage.Location#MAX_BYTES} unless the backend puts a root of its own in
 *     front of every location (an S3 key prefix, a directory path) and refuses, with an {@link
 *     org.stowage.InvalidLocationException} naming L1 and this limit, a location the root makes too
 *     long. The kit's generated locations stay within it, and the L1 checks expect exactly this
 *     limit. From {@value #MIN_LOCATION_BYTES} to {@value org.stowage.Location#MAX_BYTES}
 * @param largeListingSize how many objects the large-listing check (I1.1) stores and lists; the
 *     default, {@value #DEFAULT_LARGE_LISTING_SIZE}, crosses the 1,000-object pages that S3 and
 *     most object stores use twice. Lower it for a slow backend (a remote store, an archive that is
 *     rewritten on each store); at least 1
 * @param objectsReadWithListing the backend's {@link
 *     org.stowage.ExternalStorage#iterObjects(String, String, int) iterObjects} reads small objects
 *     in the same pass as its listing (rule I8): then the kit also checks that every object of at
 *     most {@code maxBytes} and at most {@value #READ_WITH_LISTING_BYTES} bytes that nothing changes
 *     while it is listed comes with its content. Off by default: a backend that reads nothing while
 *     it lists (S3, the default hook) keeps rule I8 too, and every other I8 check runs either way
 */
public record Capabilities(
    boolean crossProcessSafety,
    boolean localFileUris,
    long maxObjectSize,
    Optional<Corrupter> corrupter,
    int maxLocationBytes,
    int largeListingSize,
    boolean objectsReadWithListing) {

  /** The default {@link #maxObjectSize()}: 4 MiB. */
  public static final long DEFAULT_MAX_OBJECT_SIZE = 4L << 20;

  /**
   * The least {@link #maxObjectSize()}: 64 KiB. Some checks store small objects of fixed sizes,
   * up to a few KiB, whatever the maximum.
   */
  public static final long MIN_MAX_OBJECT_SIZE = 64L << 10;

  /**
   * The least {@link #maxLocationBytes()}: 512, so that the kit's own locations (a namespace
   * segment and a few short segments below it, or one segment of 255 bytes) always fit.
   */
  public static final int MIN_LOCATION_BYTES = 512;

  /** The default {@link #largeListingSize()}: 2,600 objects, over two 1,000-object pages. */
  public static final int DEFAULT_LARGE_LISTING_SIZE = 2600;

  /**
   * The largest object that a backend with {@link #objectsReadWithListing()} must list with its
   * content (when the listing's {@code maxBytes} allows it): 1 KiB. A backend may read larger
   * objects too; the kit does not ask it to.
   */
  public static final int READ_WITH_LISTING_BYTES = 1024;

  /**
   * Validates the components.
   *
   * @param crossProcessSafety whether several instances over one root behave as one store (see the
   *     class javadoc)
   * @param localFileUris whether {@code uri(location)} names a file that holds the object's bytes
   * @param maxObjectSize the largest object the kit stores, in bytes, at least {@value
   *     #MIN_MAX_OBJECT_SIZE}
   * @param corrupter how to damage a stored object behind the backend's back, or empty; not null
   * @param maxLocationBytes the longest location the backend accepts, in UTF-8 bytes
   * @param largeListingSize how many objects the large-listing check stores and lists, at least 1
   * @param objectsReadWithListing whether {@code iterObjects} reads small objects with its listing
   * @throws NullPointerException if {@code corrupter} is null (use {@link Optional#empty()})
   * @throws IllegalArgumentException if {@code maxObjectSize} is less than {@value
   *     #MIN_MAX_OBJECT_SIZE}, {@code maxLocationBytes} is outside {@value #MIN_LOCATION_BYTES} to
   *     {@value org.stowage.Location#MAX_BYTES}, or {@code largeListingSize} is less than 1
   */
  public Capabilities {
    Objects.requireNonNull(corrupter, "corrupter");
    if (maxObjectSize < MIN_MAX_OBJECT_SIZE) {
      throw new IllegalArgumentException(
          "maxObjectSize must be at least " + MIN_MAX_OBJECT_SIZE + ", got " + maxObjectSize);
    }
    if (maxLocationBytes < MIN_LOCATION_BYTES || maxLocationBytes > Location.MAX_BYTES) {
      throw new IllegalArgumentException("maxLocationBytes must be from " + MIN_LOCATION_BYTES
          + " to " + Location.MAX_BYTES + ", got " + maxLocationBytes);
    }
    if (largeListingSize < 1) {
      throw new IllegalArgumentException(
          "largeListingSize must be at least 1, got " + largeListingSize);
    }
  }

  /**
   * A backend with no optional capability: not shared between processes, no {@code file:} URIs,
   * objects up to {@value #DEFAULT_MAX_OBJECT_SIZE} bytes, no corrupter, locations up to {@value
   * org.stowage.Location#MAX_BYTES} bytes, a large listing of {@value #DEFAULT_LARGE_LISTING_SIZE}
   * objects, no objects read with a listing.
   *
   * @return the capabilities of a minimal backend, with every default as listed above
   */
  public static Capabilities none() {
    return new Capabilities(false, false, DEFAULT_MAX_OBJECT_SIZE, Optional.empty(),
        Location.MAX_BYTES, DEFAULT_LARGE_LISTING_SIZE, false);
  }

  /**
   * A copy with {@link #crossProcessSafety()} set to {@code value}.
   *
   * @param value true if several instances over one root behave as one store (rule T1)
   * @return a new record, equal to this one but for {@code crossProcessSafety}
   */
  public Capabilities withCrossProcessSafety(boolean value) {
    return new Capabilities(value, localFileUris, maxObjectSize, corrupter, maxLocationBytes,
        largeListingSize, objectsReadWithListing);
  }

  /**
   * A copy with {@link #localFileUris()} set to {@code value}.
   *
   * @param value true if {@code uri(location)} returns a {@code file:} URI naming the object's
   *     bytes
   * @return a new record, equal to this one but for {@code localFileUris}
   */
  public Capabilities withLocalFileUris(boolean value) {
    return new Capabilities(crossProcessSafety, value, maxObjectSize, corrupter, maxLocationBytes,
        largeListingSize, objectsReadWithListing);
  }

  /**
   * A copy with {@link #maxObjectSize()} set to {@code bytes}.
   *
   * @param bytes the largest object the kit stores, in bytes
   * @return a new record, equal to this one but for {@code maxObjectSize}
   * @throws IllegalArgumentException if {@code bytes} is less than {@value #MIN_MAX_OBJECT_SIZE}
   */
  public Capabilities withMaxObjectSize(long bytes) {
    return new Capabilities(crossProcessSafety, localFileUris, bytes, corrupter, maxLocationBytes,
        largeListingSize, objectsReadWithListing);
  }

  /**
   * A copy with {@link #corrupter()} set to {@code value}.
   *
   * @param value how to damage a stored object behind the backend's back
   * @return a new record, equal to this one but with {@code Optional.of(value)} as {@code
   *     corrupter}
   * @throws NullPointerException if {@code value} is null
   */
  public Capabilities withCorrupter(Corrupter value) {
    return new Capabilities(crossProcessSafety, localFileUris, maxObjectSize,
        Optional.of(Objects.requireNonNull(value, "value")), maxLocationBytes, largeListingSize,
        objectsReadWithListing);
  }

  /**
   * A copy with {@link #maxLocationBytes()} set to {@code bytes}.
   *
   * @param bytes the longest location the backend accepts, in UTF-8 bytes
   * @return a new record, equal to this one but for {@code maxLocationBytes}
   * @throws IllegalArgumentException if {@code bytes} is outside {@value #MIN_LOCATION_BYTES} to
   *     {@value org.stowage.Location#MAX_BYTES}
   */
  public Capabilities withMaxLocationBytes(int bytes) {
    return new Capabilities(crossProcessSafety, localFileUris, maxObjectSize, corrupter, bytes,
        largeListingSize, objectsReadWithListing);
  }

  /**
   * A copy with {@link #largeListingSize()} set to {@code objects}.
   *
   * @param objects how many objects the large-listing check stores and lists
   * @return a new record, equal to this one but for {@code largeListingSize}
   * @throws IllegalArgumentException if {@code objects} is less than 1
   */
  public Capabilities withLargeListingSize(int objects) {
    return new Capabilities(crossProcessSafety, localFileUris, maxObjectSize, corrupter,
        maxLocationBytes, objects, objectsReadWithListing);
  }

  /**
   * A copy with {@link #objectsReadWithListing()} set to {@code value}.
   *
   * @param value true if {@code iterObjects} reads every small object it lists in the same pass,
   *     unless it changes meanwhile (rule I8)
   * @return a new record, equal to this one but for {@code objectsReadWithListing}
   */
  public Capabilities withObjectsReadWithListing(boolean value) {
    return new Capabilities(crossProcessSafety, localFileUris, maxObjectSize, corrupter,
        maxLocationBytes, largeListingSize, value);
  }
}
