package org.stowage.s3;

import java.util.Iterator;
import java.util.Spliterators;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.stowage.ExternalResourceException;
import org.stowage.Location;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The keys under a prefix, fetched one {@code ListObjectsV2} page at a time, when the previous page
 * is used up (rule I3), with the root prefix removed and the reserved temporary folder skipped. S3
 * returns keys in ascending order of their UTF-8 bytes, which is the order rule I2 asks for.
 */
final class S3Listing extends Spliterators.AbstractSpliterator<String> {
  private final BiFunction<String, String, ListObjectsV2Response> fetchPage;
  private final String fullPrefix;
  private final int rootLength;
  private final String hidden;
  private final String storageName;
  private String last;
  /** The full key that every listed key must sort after, or null. */
  private final String startAfter;
  private Iterator<S3Object> page;
  private String nextToken;
  private boolean fetched;

  /**
   * The locations under {@code prefix} in the bucket, below {@code root}, fetched {@code pageSize}
   * keys a request, lazily, without the temporary folder; only those after {@code startAfter} (a
   * bound, rule I7; empty for none): the first request carries {@code StartAfter}, so the server
   * skips what sorts before it, and the keys are checked here too, for a server that ignores the
   * parameter.
   */
  static Stream<String> of(S3Client s3, String bucket, String root, String prefix, String startAfter,
      int pageSize, S3Errors errors, String storageName) {
    String fullStartAfter = startAfter.isEmpty() ? null : root + startAfter;
    Pages pages = new Pages(s3, bucket, pageSize, errors, serverBound(fullStartAfter));
    S3Listing listing = new S3Listing(pages::fetch, root + prefix, root.length(),
        root + S3Storage.TEMP_FOLDER, fullStartAfter, storageName);
    return StreamSupport.stream(listing, false);
  }

  /**
   * What the server is told to start after: the bound up to its first character at or above
   * U+D800, or null if that leaves nothing. Below U+D800, UTF-8 order (S3's) and UTF-16 order
   * (s3proxy's and S3Mock's) agree on every comparison with the bound, so a server of either kind
   * skips only keys that sort at or before it; the rest of the bound is applied here. A bound cut
   * short skips less on the server, never more.
   */
  static String serverBound(String fullStartAfter) {
    if (fullStartAfter == null) {
      return null;
    }
    int i = 0;
    while (i < fullStartAfter.length() && fullStartAfter.charAt(i) < '\uD800') {
      i++;
    }
    return i == 0 ? null : fullStartAfter.substring(0, i);
  }

  /** The {@code ListObjectsV2} requests of a listing. */
  private record Pages(S3Client s3, String bucket, int pageSize, S3Errors errors, String startAfter) {
    /**
     * One page of a listing. An answer without {@code IsTruncated}, which S3 always sends, lost
     * its body (a header block cut short leaves an empty body, which the SDK reads as an empty
     * page) and is asked again; it is never taken for the end of the listing.
     */
    ListObjectsV2Response fetch(String fullPrefix, String continuationToken) {
      for (int attempt = 1; ; attempt++) {
        ListObjectsV2Response page = fetchOnce(fullPrefix, continuationToken);
        if (page.isTruncated() != null) {
          return page;
        }
        if (attempt >= S3Errors.INCOMPLETE_ATTEMPTS) {
          throw errors.incomplete(
              "ListObjectsV2 of prefix " + Location.quote(fullPrefix), null, "it has no IsTruncated element");
        }
      }
    }

    private ListObjectsV2Response fetchOnce(String fullPrefix, String continuationToken) {
      try {
        return s3.listObjectsV2(
            r -> {
              r.bucket(bucket).prefix(fullPrefix).maxKeys(pageSize).encodingType(EncodingType.URL);
              if (continuationToken != null) {
                r.continuationToken(continuationToken);
              } else if (startAfter != null) {
                r.startAfter(startAfter);
              }
            });
      } catch (S3Exception e) {
        if ("NoSuchBucket".equals(S3Errors.errorCode(e))) {
          throw errors.noSuchBucket("ListObjectsV2", null, e);
        }
        throw errors.failure("ListObjectsV2 of prefix " + Location.quote(fullPrefix), null, e);
      } catch (SdkException e) {
        throw errors.failure("ListObjectsV2 of prefix " + Location.quote(fullPrefix), null, e);
      }
    }
  }

  /**
   * @param fetchPage fetches the page of keys under a prefix that follows a continuation token
   *     ({@code null} for the first page)
   * @param fullPrefix the root prefix followed by the listing prefix
   * @param rootLength the length of the root prefix, removed from every key
   * @param hidden keys starting with this (the temporary folder) are skipped
   * @param startAfter the full key every listed key must sort after, or {@code null} for none
   * @param storageName names the storage in messages
   */
  S3Listing(
      BiFunction<String, String, ListObjectsV2Response> fetchPage,
      String fullPrefix,
      int rootLength,
      String hidden,
      String startAfter,
      String storageName) {
    super(Long.MAX_VALUE, ORDERED | NONNULL | DISTINCT);
    this.fetchPage = fetchPage;
    this.fullPrefix = fullPrefix;
    this.rootLength = rootLength;
    this.hidden = hidden;
    this.startAfter = startAfter;
    this.storageName = storageName;
  }

  @Override
  public boolean tryAdvance(Consumer<? super String> action) {
    while (true) {
      if (page != null && page.hasNext()) {
        String key = page.next().key();
        if (key == null || key.startsWith(hidden) || !key.startsWith(fullPrefix)
            || last == null && startAfter != null && Location.UTF8_ORDER.compare(key, startAfter) <= 0) {
          // only until a key passes: the order check covers the rest
          continue;
        }
        if (last != null && Location.UTF8_ORDER.compare(last, key) >= 0) {
          // Some servers sort by UTF-16 units (s3proxy's nio2 stores do), which differs for
          // characters above U+FFFF. Say so, rather than let it pass for a bug of this backend.
          throw new ExternalResourceException(
              storageName + ": the server listed " + S3Storage.quote(key) + " after "
                  + S3Storage.quote(last) + ", which is not S3's UTF-8 binary key order; this"
                  + " server cannot serve ordered listings (rule I2)",
              null);
        }
        last = key;
        action.accept(key.substring(rootLength));
        return true;
      }
      if (fetched && nextToken == null) {
        return false;
      }
      ListObjectsV2Response response = fetchPage.apply(fullPrefix, nextToken);
      fetched = true;
      page = response.contents().iterator();
      nextToken =
          Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
      if (Boolean.TRUE.equals(response.isTruncated()) && nextToken == null) {
        // Never end a listing the server says goes on.
        throw new ExternalResourceException(
            storageName + ": the server said the listing of " + S3Storage.quote(fullPrefix)
                + " goes on, but gave no continuation token (rule I1)",
            null);
      }
    }
  }
}
