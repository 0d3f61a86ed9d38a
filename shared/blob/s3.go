package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3 is the Store backed by Amazon S3. Buckets of other accounts (a
// Control Tower log archive, a Security Lake) can be read with their own
// client (an assumed role): Clients maps a bucket name or name prefix to it.
type S3 struct {
	Client  *s3.Client
	Clients []BucketClient
}

// BucketClient is the client for buckets whose name is Bucket, or starts
// with Bucket when it ends with "*".
type BucketClient struct {
	Bucket string
	Client *s3.Client
}

func (s S3) client(bucket string) *s3.Client {
	for _, c := range s.Clients {
		if c.Bucket == bucket || (strings.HasSuffix(c.Bucket, "*") && strings.HasPrefix(bucket, strings.TrimSuffix(c.Bucket, "*"))) {
			return c.Client
		}
	}
	return s.Client
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	return errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")
}

func wrap(op, bucket, key string, err error) error {
	if notFound(err) {
		return fmt.Errorf("%s s3://%s/%s: %w", op, bucket, key, ErrNotFound)
	}
	return fmt.Errorf("%s s3://%s/%s: %w", op, bucket, key, err)
}

func (s S3) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	out, err := s.client(bucket).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, wrap("get", bucket, key, err)
	}
	return out.Body, nil
}

func (s S3) Head(ctx context.Context, bucket, key string) (Info, error) {
	out, err := s.client(bucket).HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return Info{}, wrap("head", bucket, key, err)
	}
	return Info{Size: aws.ToInt64(out.ContentLength)}, nil
}

func (s S3) Put(ctx context.Context, bucket, key string, body []byte) error {
	_, err := s.client(bucket).PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	if err != nil {
		return wrap("put", bucket, key, err)
	}
	return nil
}

func (s S3) Delete(ctx context.Context, bucket, key string) error {
	if _, err := s.client(bucket).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		return wrap("delete", bucket, key, err)
	}
	return nil
}

func (s S3) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client(bucket), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("list", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// GetRange reads n bytes at off (an HTTP range read).
func (s S3) GetRange(ctx context.Context, bucket, key string, off, n int64) ([]byte, error) {
	rng := fmt.Sprintf("bytes=%d-%d", off, off+n-1)
	out, err := s.client(bucket).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, Range: &rng})
	if err != nil {
		return nil, wrap("get range", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, wrap("get range", bucket, key, err)
	}
	return b, nil
}

// ListedObject is one entry of a listing page.
type ListedObject struct {
	Key          string
	Size         int64
	LastModified time.Time
	ETag         string
}

// ListPage lists at most max keys under prefix, from the continuation
// token (empty: the start). next is empty after the last page.
func (s S3) ListPage(ctx context.Context, bucket, prefix, token string, max int32) (objs []ListedObject, next string, err error) {
	in := &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix, MaxKeys: aws.Int32(max)}
	if token != "" {
		in.ContinuationToken = &token
	}
	out, err := s.client(bucket).ListObjectsV2(ctx, in)
	if err != nil {
		return nil, "", wrap("list", bucket, prefix, err)
	}
	for _, o := range out.Contents {
		objs = append(objs, ListedObject{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size),
			LastModified: aws.ToTime(o.LastModified), ETag: strings.Trim(aws.ToString(o.ETag), `"`)})
	}
	if aws.ToBool(out.IsTruncated) {
		next = aws.ToString(out.NextContinuationToken)
	}
	return objs, next, nil
}
