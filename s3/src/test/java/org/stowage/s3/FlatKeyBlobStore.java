package org.stowage.s3;

import java.io.InputStream;
import java.util.List;
import java.util.stream.Collectors;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectAclRequest;
import software.amazon.awssdk.services.s3.model.GetObjectAclResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Test-server fix: lets s3proxy hold any set of keys, as S3 does.
 *
 * <p>s3proxy 4.1.0's nio2 blob stores keep key {@code a/b} as file {@code b} in folder {@code a},
 * so keys {@code a} and {@code a/b} cannot exist together, nor can {@code a//b}; {@code
 * S3ServerBehaviourTest} shows it. S3 has no folders: any keys can coexist. This wrapper stores
 * each key under a flat name without {@code /} ({@code /} becomes {@code %2F}, {@code %} becomes
 * {@code %25}) and translates back in listings. Listings with a delimiter are not supported (no
 * test asks for one).
 */
final class FlatKeyBlobStore extends ForwardingBlobStore {

  FlatKeyBlobStore(BlobStore delegate) {
    super(delegate);
  }

  static String flat(String key) {
    return key == null ? null : key.replace("%", "%25").replace("/", "%2F");
  }

  static String unflat(String name) {
    return name == null ? null : name.replace("%2F", "/").replace("%25", "%");
  }

  private static MultipartUpload flat(MultipartUpload upload) {
    return new MultipartUpload(
        upload.id(),
        upload.request().toBuilder().key(flat(upload.request().key())).build(),
        upload.response());
  }

  @Override
  public ListObjectsV2Response list(ListObjectsV2Request request) {
    if (request.delimiter() != null && !request.delimiter().isEmpty()) {
      throw new UnsupportedOperationException("listing with a delimiter");
    }
    ListObjectsV2Response r =
        delegate()
            .list(
                request.toBuilder()
                    .prefix(flat(request.prefix()))
                    .startAfter(flat(request.startAfter()))
                    .build());
    return r.toBuilder()
        .prefix(request.prefix())
        .startAfter(request.startAfter())
        .contents(
            r.contents().stream()
                .map(o -> o.toBuilder().key(unflat(o.key())).build())
                .collect(Collectors.toList()))
        .build();
  }

  @Override
  public boolean blobExists(String container, String name) {
    return delegate().blobExists(container, flat(name));
  }

  @Override
  public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
    return delegate().putBlob(request.toBuilder().key(flat(request.key())).build(), content);
  }

  @Override
  public CopyObjectResponse copyBlob(CopyObjectRequest request) {
    return delegate()
        .copyBlob(
            request.toBuilder()
                .sourceKey(flat(request.sourceKey()))
                .destinationKey(flat(request.destinationKey()))
                .build());
  }

  @Override
  public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
    return delegate().blobMetadata(request.toBuilder().key(flat(request.key())).build());
  }

  @Override
  public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
    return delegate().getBlob(request.toBuilder().key(flat(request.key())).build());
  }

  @Override
  public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
    return delegate().removeBlob(request.toBuilder().key(flat(request.key())).build());
  }

  @Override
  public ObjectCannedACL getBlobAccess(String container, String name) {
    return delegate().getBlobAccess(container, flat(name));
  }

  @Override
  public ObjectCannedACL getBlobAccess(String container, String name, String versionId) {
    return delegate().getBlobAccess(container, flat(name), versionId);
  }

  @Override
  public GetObjectAclResponse getBlobAcl(GetObjectAclRequest request) {
    return delegate().getBlobAcl(request.toBuilder().key(flat(request.key())).build());
  }

  @Override
  public void setBlobAccess(String container, String name, ObjectCannedACL access) {
    delegate().setBlobAccess(container, flat(name), access);
  }

  @Override
  public void setBlobAccess(
      String container, String name, ObjectCannedACL access, String versionId) {
    delegate().setBlobAccess(container, flat(name), access, versionId);
  }

  @Override
  public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
    MultipartUpload flat =
        delegate().initiateMultipartUpload(request.toBuilder().key(flat(request.key())).build());
    return new MultipartUpload(
        flat.id(),
        request,
        flat.response() == null
            ? null
            : flat.response().toBuilder().key(request.key()).build());
  }

  @Override
  public void abortMultipartUpload(MultipartUpload upload) {
    delegate().abortMultipartUpload(flat(upload));
  }

  @Override
  public CompleteMultipartUploadResponse completeMultipartUpload(
      MultipartUpload upload, CompleteMultipartUploadRequest request) {
    CompleteMultipartUploadResponse r =
        delegate()
            .completeMultipartUpload(
                flat(upload), request.toBuilder().key(flat(request.key())).build());
    return r.toBuilder().key(unflat(r.key())).build();
  }

  @Override
  public UploadPartResponse uploadMultipartPart(
      MultipartUpload upload, UploadPartRequest request, InputStream content) {
    return delegate()
        .uploadMultipartPart(
            flat(upload), request.toBuilder().key(flat(request.key())).build(), content);
  }

  @Override
  public List<Part> listMultipartUpload(MultipartUpload upload) {
    return delegate().listMultipartUpload(flat(upload));
  }

  @Override
  public List<software.amazon.awssdk.services.s3.model.MultipartUpload> listMultipartUploads(
      String container) {
    return delegate().listMultipartUploads(container).stream()
        .map(u -> u.toBuilder().key(unflat(u.key())).build())
        .collect(Collectors.toList());
  }
}
