//! The filesystem target's settings (`outputDirURI`, `output.fs.prop.*`) as the flat source
//! parameters `catalogs::parse_source` reads, so writing reuses the connections' checks.

use crate::catalogs::parse_source;
use crate::error::ApiError;
use crate::model::table_config::TaskParams;

const SCHEMES: &str = "file:///absolute/folder or s3://bucket/prefix/";

/// `output.fs.prop.<key>` → `catalog.s3.<key>`. Other PinotFS properties have no meaning
/// here and are ignored, as is `output.fs.class`.
const S3_PROPS: &[(&str, &str)] = &[
    ("region", "catalog.s3.region"),
    ("accessKey", "catalog.s3.accessKey"),
    ("secretKey", "catalog.s3.secretKey"),
    ("sessionToken", "catalog.s3.sessionToken"),
    ("endpoint", "catalog.s3.endpoint"),
    ("roleArn", "catalog.s3.roleArn"),
    ("externalId", "catalog.s3.externalId"),
];

/// Turns a DataExportTask block's filesystem keys into source params: `catalogType`
/// `local` with `catalog.local.path`, or `s3` with `catalog.s3.*`. Secrets are passed on
/// as given (possibly the mask, which the caller resolves). The result is checked with
/// `parse_source`, and its errors name the task's own keys.
pub fn filesystem_source_params(params: &TaskParams, at: &str) -> Result<TaskParams, ApiError> {
    let uri_field = format!("{at}.outputDirURI");
    let uri = params
        .get("outputDirURI")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid(&uri_field, format!("is required: {SCHEMES}")))?;
    let mut source = TaskParams::new();
    if let Some(path) = uri.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(ApiError::invalid(
                &uri_field,
                format!("'{uri}' must name an absolute folder, as file:///path/to/folder"),
            ));
        }
        if path.split('/').any(|part| part == "..") {
            return Err(ApiError::invalid(
                &uri_field,
                format!("'{uri}' may not contain '..'"),
            ));
        }
        source.insert("catalogType".into(), "local".into());
        source.insert("catalog.local.path".into(), path.to_owned());
    } else if let Some(rest) = uri.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ApiError::invalid(
                &uri_field,
                format!("'{uri}' names no bucket: use s3://bucket/prefix/"),
            ));
        }
        source.insert("catalogType".into(), "s3".into());
        source.insert("catalog.s3.bucketName".into(), bucket.to_owned());
        source.insert("catalog.s3.prefix".into(), prefix.to_owned());
        for (prop, key) in S3_PROPS {
            if let Some(value) = params.get(&format!("output.fs.prop.{prop}")) {
                source.insert((*key).into(), value.clone());
            }
        }
        if !source.contains_key("catalog.s3.region") {
            return Err(ApiError::invalid(
                format!("{at}.output.fs.prop.region"),
                "is required for an s3:// outputDirURI (e.g. us-east-1)",
            ));
        }
    } else {
        return Err(ApiError::invalid(
            &uri_field,
            format!("'{uri}' is not a supported destination; use {SCHEMES}"),
        ));
    }
    parse_source(&source, at).map_err(|err| rename_field(err, at))?;
    Ok(source)
}

/// An error `parse_source` gave for a `catalog.*` key, pointed back at the task key it came from.
fn rename_field(err: ApiError, at: &str) -> ApiError {
    let ApiError::Invalid { field, message } = err else {
        return err;
    };
    let key = field
        .strip_prefix(at)
        .and_then(|k| k.strip_prefix('.'))
        .unwrap_or(&field);
    let own = match key {
        "catalog.local.path" | "catalog.s3.bucketName" | "catalog.s3.prefix" => {
            "outputDirURI".to_owned()
        }
        other => S3_PROPS
            .iter()
            .find(|(_, k)| *k == other)
            .map(|(prop, _)| format!("output.fs.prop.{prop}"))
            .unwrap_or_else(|| other.to_owned()),
    };
    let message = message
        .replace("catalog.s3.accessKey", "output.fs.prop.accessKey")
        .replace("catalog.s3.secretKey", "output.fs.prop.secretKey")
        .replace("catalog.s3.roleArn", "output.fs.prop.roleArn");
    ApiError::invalid(format!("{at}.{own}"), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> TaskParams {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn invalid_field(err: ApiError) -> (String, String) {
        match err {
            ApiError::Invalid { field, message } => (field, message),
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn a_file_uri_is_a_local_folder() {
        let source = filesystem_source_params(
            &params(&[
                ("outputDirURI", "file:///data/lake/exports/"),
                (
                    "output.fs.class",
                    "org.apache.pinot.spi.filesystem.LocalPinotFS",
                ),
            ]),
            "t",
        )
        .unwrap();
        assert_eq!(
            source,
            params(&[
                ("catalogType", "local"),
                ("catalog.local.path", "/data/lake/exports/")
            ])
        );
    }

    #[test]
    fn an_s3_uri_takes_the_fs_props() {
        let source = filesystem_source_params(
            &params(&[
                ("outputDirURI", "s3://my-bucket/exports/my_events/"),
                (
                    "output.fs.class",
                    "org.apache.pinot.plugin.filesystem.S3PinotFS",
                ),
                ("output.fs.prop.region", "us-east-1"),
                ("output.fs.prop.accessKey", "AKIA"),
                ("output.fs.prop.secretKey", "*****"),
                ("output.fs.prop.endpoint", "http://127.0.0.1:9000"),
                ("output.fs.prop.disableAcl", "false"),
            ]),
            "t",
        )
        .unwrap();
        assert_eq!(
            source,
            params(&[
                ("catalogType", "s3"),
                ("catalog.s3.bucketName", "my-bucket"),
                ("catalog.s3.prefix", "exports/my_events/"),
                ("catalog.s3.region", "us-east-1"),
                ("catalog.s3.accessKey", "AKIA"),
                ("catalog.s3.secretKey", "*****"),
                ("catalog.s3.endpoint", "http://127.0.0.1:9000"),
            ])
        );
        let spec = parse_source(&source, "t").unwrap();
        assert_eq!(spec.display_uri(), "s3://my-bucket/exports/my_events/");
        let bare = filesystem_source_params(
            &params(&[
                ("outputDirURI", "s3://my-bucket"),
                ("output.fs.prop.region", "eu-west-1"),
            ]),
            "t",
        )
        .unwrap();
        assert_eq!(bare["catalog.s3.prefix"], "");
    }

    /// The task's params, the key the error names, and a piece of its message.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

    #[test]
    fn errors_name_the_task_keys() {
        let at = "tableConfig.task.taskTypeConfigsMap.DataExportTask";
        let cases: &[Case] = &[
            (&[], "outputDirURI", "is required"),
            (
                &[("outputDirURI", "gs://b/p/")],
                "outputDirURI",
                "s3://bucket/prefix/",
            ),
            (&[("outputDirURI", "/tmp/x")], "outputDirURI", "file:///"),
            (
                &[("outputDirURI", "file://relative/x")],
                "outputDirURI",
                "absolute",
            ),
            (
                &[("outputDirURI", "file:///a/../b")],
                "outputDirURI",
                "'..'",
            ),
            (
                &[("outputDirURI", "s3:///prefix")],
                "outputDirURI",
                "no bucket",
            ),
            (
                &[("outputDirURI", "s3://b/p/")],
                "output.fs.prop.region",
                "required",
            ),
            (
                &[
                    ("outputDirURI", "s3://Bad_Bucket/p/"),
                    ("output.fs.prop.region", "us-east-1"),
                ],
                "outputDirURI",
                "not a valid S3 bucket",
            ),
            (
                &[
                    ("outputDirURI", "s3://bucket/p/"),
                    ("output.fs.prop.region", "us-east-1"),
                    ("output.fs.prop.accessKey", "AKIA"),
                ],
                "output.fs.prop.secretKey",
                "output.fs.prop.accessKey and output.fs.prop.secretKey",
            ),
            (
                &[
                    ("outputDirURI", "s3://bucket/p/"),
                    ("output.fs.prop.region", "us-east-1"),
                    ("output.fs.prop.endpoint", "ftp://host"),
                ],
                "output.fs.prop.endpoint",
                "http://",
            ),
        ];
        for (pairs, key, hint) in cases {
            let (field, message) =
                invalid_field(filesystem_source_params(&params(pairs), at).unwrap_err());
            assert_eq!(field, format!("{at}.{key}"), "{pairs:?}: {message}");
            assert!(message.contains(hint), "{pairs:?}: {message}");
        }
    }
}
