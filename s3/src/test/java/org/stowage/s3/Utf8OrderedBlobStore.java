package org.stowage.s3;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.stowage.Location;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Test-server fix: makes s3proxy list keys in UTF-8 binary order, as S3 does.
 *
 * <p>s3proxy 4.1.0's nio2 blob stores list keys in Java {@code String} (UTF-16) order, which puts
 * characters above U+FFFF before U+E000 to U+FFFF; {@code S3ServerBehaviourTest} shows it. S3 and
 * MinIO list in UTF-8 order, and rule I2 needs it. This wrapper fetches the whole listing under the
 * prefix from the store (test data is small), sorts it by UTF-8 bytes and pages it itself, with the
 * last key of a page as the continuation token. Listings with a delimiter pass through unchanged.
 * It also hides the temporary files of writes in progress (see {@code WRITE_IN_PROGRESS}).
 */
final class Utf8OrderedBlobStore extends ForwardingBlobStore {
  private static final Comparator<S3Object> ORDER =
      Comparator.comparing(S3Object::key, Location.UTF8_ORDER);

  /**
   * s3proxy 4.1.0's nio2 stores write a blob to a file {@code <name>-<random UUID>} next to it and
   * rename it into place; a listing made meanwhile shows that file as a key (S3HammerTest saw
   * {@code k/2-5c463648-...}). S3 never lists a write in progress; this wrapper leaves such names
   * out. No test stores a key that ends with a dash and a UUID.
   */
  private static final java.util.regex.Pattern WRITE_IN_PROGRESS =
      java.util.regex.Pattern.compile(
          "(?s).*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  Utf8OrderedBlobStore(BlobStore delegate) {
    super(delegate);
  }

  @Override
  public ListObjectsV2Response list(ListObjectsV2Request request) {
    if (request.delimiter() != null && !request.delimiter().isEmpty()) {
      return delegate().list(request);
    }
    List<S3Object> all = new ArrayList<>();
    ListObjectsV2Response first = null;
    String token = null;
    do {
      ListObjectsV2Request.Builder b =
          request.toBuilder().continuationToken(token).startAfter(null).maxKeys(1000);
      ListObjectsV2Response r = delegate().list(b.build());
      if (first == null) {
        first = r;
      }
      for (S3Object o : r.contents()) {
        if (!WRITE_IN_PROGRESS.matcher(o.key()).matches()) {
          all.add(o);
        }
      }
      token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
    } while (token != null);
    all.sort(ORDER);
    String after =
        request.continuationToken() != null
            ? new String(
                Base64.getUrlDecoder().decode(request.continuationToken()), StandardCharsets.UTF_8)
            : request.startAfter();
    int maxKeys = request.maxKeys() == null ? 1000 : request.maxKeys();
    List<S3Object> page = new ArrayList<>();
    boolean truncated = false;
    for (S3Object o : all) {
      if (after != null && Location.UTF8_ORDER.compare(o.key(), after) <= 0) {
        continue;
      }
      if (page.size() == maxKeys) {
        truncated = true;
        break;
      }
      page.add(o);
    }
    String next =
        truncated
            ? Base64.getUrlEncoder()
                .encodeToString(page.get(page.size() - 1).key().getBytes(StandardCharsets.UTF_8))
            : null;
    return first.toBuilder()
        .contents(page)
        .keyCount(page.size())
        .isTruncated(truncated)
        .nextContinuationToken(next)
        .continuationToken(request.continuationToken())
        .startAfter(request.startAfter())
        .maxKeys(maxKeys)
        .build();
  }
}
