"""TagResource, UntagResource and ListTagsForResource for every taggable `iot` ARN."""
