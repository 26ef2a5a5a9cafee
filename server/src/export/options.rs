//! The Parquet writer settings of a DataExportTask block (`fileFormat`, `fileFormat.parquet.*`),
//! with the seed's defaults, and the parquet-rs writer properties they become.

use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::ApiError;
use crate::model::table_config::TaskParams;

const PREFIX: &str = "fileFormat.parquet.";

/// The seed's defaults: 128 MB row groups and 1 MB pages.
pub const DEFAULT_ROW_GROUP_SIZE_BYTES: usize = 134_217_728;
pub const DEFAULT_PAGE_SIZE_BYTES: usize = 1_048_576;

/// Every key under `fileFormat.parquet.`: anything else is a typo, refused rather than ignored.
const KNOWN_KEYS: &[&str] = &[
    "compressionCodec",
    "rowGroupSizeBytes",
    "pageSizeBytes",
    "enableDictionary",
    "json.maxDepth",
    "json.unknownKeysBehavior",
    "decimal.precision",
    "decimal.scale",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetCodec {
    Snappy,
    Gzip,
    Zstd,
    Uncompressed,
}

const CODECS: &str = "SNAPPY, GZIP, ZSTD or UNCOMPRESSED";

impl ParquetCodec {
    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "SNAPPY" => Some(Self::Snappy),
            "GZIP" => Some(Self::Gzip),
            "ZSTD" => Some(Self::Zstd),
            "UNCOMPRESSED" => Some(Self::Uncompressed),
            _ => None,
        }
    }

    pub fn compression(self) -> Compression {
        match self {
            Self::Snappy => Compression::SNAPPY,
            Self::Gzip => Compression::GZIP(GzipLevel::default()),
            // Level 3 is what parquet-mr (and so Pinot's writer) uses by default.
            Self::Zstd => Compression::ZSTD(ZstdLevel::try_new(3).expect("valid zstd level")),
            Self::Uncompressed => Compression::UNCOMPRESSED,
        }
    }
}

/// What to do with JSON keys the target struct does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKeys {
    /// Log once per column and export without them.
    Warn,
    /// Fail the export, naming the column and the key.
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetOptions {
    pub codec: ParquetCodec,
    pub row_group_size_bytes: usize,
    pub page_size_bytes: usize,
    pub enable_dictionary: bool,
    /// Deepest nesting of objects and arrays a JSON column value may have.
    pub json_max_depth: Option<usize>,
    pub unknown_keys: UnknownKeys,
    /// Replace the precision and/or scale of every Decimal128 target column.
    pub decimal_precision: Option<u8>,
    pub decimal_scale: Option<i8>,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        Self {
            codec: ParquetCodec::Snappy,
            row_group_size_bytes: DEFAULT_ROW_GROUP_SIZE_BYTES,
            page_size_bytes: DEFAULT_PAGE_SIZE_BYTES,
            enable_dictionary: true,
            json_max_depth: None,
            unknown_keys: UnknownKeys::Warn,
            decimal_precision: None,
            decimal_scale: None,
        }
    }
}

impl ParquetOptions {
    /// Reads the writer settings of one DataExportTask block; `at` names the block, so an
    /// error names the key at fault (`<at>.fileFormat.parquet.compressionCodec`).
    pub fn from_params(params: &TaskParams, at: &str) -> Result<Self, ApiError> {
        let field = |key: &str| format!("{at}.{key}");
        if let Some(format) = value(params, "fileFormat")
            && !format.eq_ignore_ascii_case("parquet")
        {
            return Err(ApiError::invalid(
                field("fileFormat"),
                format!("'{format}' is not supported; only 'parquet' is"),
            ));
        }
        for key in params.keys() {
            if let Some(rest) = key.strip_prefix(PREFIX)
                && !KNOWN_KEYS.contains(&rest)
            {
                return Err(ApiError::invalid(
                    field(key),
                    format!(
                        "is not a Parquet export setting; known: {}",
                        KNOWN_KEYS
                            .iter()
                            .map(|k| format!("{PREFIX}{k}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let get = |key: &str| value(params, &format!("{PREFIX}{key}"));
        let invalid = |key: &str, message: String| {
            ApiError::invalid(field(&format!("{PREFIX}{key}")), message)
        };
        let positive = |key: &str| -> Result<Option<usize>, ApiError> {
            get(key)
                .map(|text| match text.parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(invalid(
                        key,
                        format!("'{text}' is not a positive whole number"),
                    )),
                })
                .transpose()
        };
        let mut options = Self::default();
        if let Some(text) = get("compressionCodec") {
            options.codec = ParquetCodec::parse(&text).ok_or_else(|| {
                invalid(
                    "compressionCodec",
                    format!("'{text}' is not supported; use {CODECS}"),
                )
            })?;
        }
        if let Some(bytes) = positive("rowGroupSizeBytes")? {
            options.row_group_size_bytes = bytes;
        }
        if let Some(bytes) = positive("pageSizeBytes")? {
            options.page_size_bytes = bytes;
        }
        if let Some(text) = get("enableDictionary") {
            options.enable_dictionary = match text.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(invalid(
                        "enableDictionary",
                        format!("'{text}' is not true or false"),
                    ));
                }
            };
        }
        options.json_max_depth = positive("json.maxDepth")?;
        if let Some(text) = get("json.unknownKeysBehavior") {
            options.unknown_keys = match text.to_ascii_lowercase().as_str() {
                "warn" => UnknownKeys::Warn,
                "fail" => UnknownKeys::Fail,
                _ => {
                    return Err(invalid(
                        "json.unknownKeysBehavior",
                        format!("'{text}' is not supported; use warn or fail"),
                    ));
                }
            };
        }
        if let Some(text) = get("decimal.precision") {
            options.decimal_precision = Some(
                text.parse::<u8>()
                    .ok()
                    .filter(|p| (1..=38).contains(p))
                    .ok_or_else(|| {
                        invalid(
                            "decimal.precision",
                            format!("'{text}' is not a precision from 1 to 38"),
                        )
                    })?,
            );
        }
        if let Some(text) = get("decimal.scale") {
            let scale = text
                .parse::<i8>()
                .ok()
                .filter(|s| (0..=38).contains(s))
                .ok_or_else(|| {
                    invalid(
                        "decimal.scale",
                        format!("'{text}' is not a scale from 0 to 38"),
                    )
                })?;
            if let Some(precision) = options.decimal_precision
                && scale as u8 > precision
            {
                return Err(invalid(
                    "decimal.scale",
                    format!("{scale} is larger than decimal.precision ({precision})"),
                ));
            }
            options.decimal_scale = Some(scale);
        }
        Ok(options)
    }

    /// Codec, page size, dictionary and row-group size for parquet-rs. Row groups are cut
    /// by their estimated encoded size alone, as parquet-mr's `parquet.block.size` does.
    pub fn writer_properties(&self) -> WriterProperties {
        WriterProperties::builder()
            .set_compression(self.codec.compression())
            .set_data_page_size_limit(self.page_size_bytes)
            .set_dictionary_enabled(self.enable_dictionary)
            .set_max_row_group_row_count(None)
            .set_max_row_group_bytes(Some(self.row_group_size_bytes))
            .set_created_by(format!("lakeport {}", env!("CARGO_PKG_VERSION")))
            .build()
    }
}

fn value(params: &TaskParams, key: &str) -> Option<String> {
    params
        .get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
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

    fn field_of(err: ApiError) -> (String, String) {
        match err {
            ApiError::Invalid { field, message } => (field, message),
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_seeds() {
        let options = ParquetOptions::from_params(&params(&[("fileFormat", "parquet")]), "t")
            .expect("defaults parse");
        assert_eq!(options, ParquetOptions::default());
        assert_eq!(options.codec, ParquetCodec::Snappy);
        assert_eq!(options.row_group_size_bytes, 134_217_728);
        assert_eq!(options.page_size_bytes, 1_048_576);
        assert!(options.enable_dictionary);
        assert_eq!(options.unknown_keys, UnknownKeys::Warn);
        assert_eq!(options.json_max_depth, None);
        let properties = options.writer_properties();
        assert_eq!(properties.max_row_group_bytes(), Some(134_217_728));
        assert_eq!(properties.max_row_group_row_count(), None);
        assert_eq!(properties.data_page_size_limit(), 1_048_576);
        assert!(properties.created_by().starts_with("lakeport "));
        let column = parquet::schema::types::ColumnPath::from("x");
        assert_eq!(properties.compression(&column), Compression::SNAPPY);
        assert!(properties.dictionary_enabled(&column));
    }

    #[test]
    fn every_codec_parses_in_any_case() {
        let column = parquet::schema::types::ColumnPath::from("x");
        for (text, expected) in [
            ("SNAPPY", Compression::SNAPPY),
            ("gzip", Compression::GZIP(GzipLevel::default())),
            ("Zstd", Compression::ZSTD(ZstdLevel::try_new(3).unwrap())),
            ("UNCOMPRESSED", Compression::UNCOMPRESSED),
        ] {
            let options = ParquetOptions::from_params(
                &params(&[("fileFormat.parquet.compressionCodec", text)]),
                "t",
            )
            .unwrap();
            assert_eq!(
                options.writer_properties().compression(&column),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn settings_are_read() {
        let options = ParquetOptions::from_params(
            &params(&[
                ("fileFormat", "PARQUET"),
                ("fileFormat.parquet.rowGroupSizeBytes", "65536"),
                ("fileFormat.parquet.pageSizeBytes", " 4096 "),
                ("fileFormat.parquet.enableDictionary", "FALSE"),
                ("fileFormat.parquet.json.maxDepth", "3"),
                ("fileFormat.parquet.json.unknownKeysBehavior", "fail"),
                ("fileFormat.parquet.decimal.precision", "20"),
                ("fileFormat.parquet.decimal.scale", "4"),
            ]),
            "t",
        )
        .unwrap();
        assert_eq!(options.row_group_size_bytes, 65536);
        assert_eq!(options.page_size_bytes, 4096);
        assert!(!options.enable_dictionary);
        assert_eq!(options.json_max_depth, Some(3));
        assert_eq!(options.unknown_keys, UnknownKeys::Fail);
        assert_eq!(options.decimal_precision, Some(20));
        assert_eq!(options.decimal_scale, Some(4));
        let properties = options.writer_properties();
        let column = parquet::schema::types::ColumnPath::from("x");
        assert!(!properties.dictionary_enabled(&column));
        assert_eq!(properties.data_page_size_limit(), 4096);
        assert_eq!(properties.max_row_group_bytes(), Some(65536));
    }

    #[test]
    fn bad_values_name_their_key() {
        let at = "tableConfig.task.taskTypeConfigsMap.DataExportTask";
        let cases = [
            ("fileFormat", "orc", "only 'parquet'"),
            (
                "fileFormat.parquet.compressionCodec",
                "LZ4",
                "SNAPPY, GZIP, ZSTD or UNCOMPRESSED",
            ),
            ("fileFormat.parquet.rowGroupSizeBytes", "128MB", "positive"),
            ("fileFormat.parquet.rowGroupSizeBytes", "0", "positive"),
            ("fileFormat.parquet.pageSizeBytes", "-1", "positive"),
            (
                "fileFormat.parquet.enableDictionary",
                "yes",
                "true or false",
            ),
            ("fileFormat.parquet.json.maxDepth", "deep", "positive"),
            (
                "fileFormat.parquet.json.unknownKeysBehavior",
                "ignore",
                "warn or fail",
            ),
            ("fileFormat.parquet.decimal.precision", "39", "1 to 38"),
            ("fileFormat.parquet.decimal.scale", "x", "0 to 38"),
            (
                "fileFormat.parquet.compresionCodec",
                "GZIP",
                "not a Parquet",
            ),
        ];
        for (key, value, hint) in cases {
            let err = ParquetOptions::from_params(&params(&[(key, value)]), at).unwrap_err();
            let (field, message) = field_of(err);
            assert_eq!(field, format!("{at}.{key}"), "{key}={value}");
            assert!(message.contains(hint), "{key}={value}: {message}");
        }
        let err = ParquetOptions::from_params(
            &params(&[
                ("fileFormat.parquet.decimal.precision", "5"),
                ("fileFormat.parquet.decimal.scale", "6"),
            ]),
            at,
        )
        .unwrap_err();
        let (field, message) = field_of(err);
        assert!(field.ends_with("decimal.scale"), "{field}");
        assert!(message.contains("larger than"), "{message}");
    }
}
