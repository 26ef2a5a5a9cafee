//! Writes real TPC-H `lineitem` data as Parquet files: the demo dataset and the benchmark input.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{
    ArrayBuilder, ArrayRef, Date32Builder, Decimal128Builder, Int32Builder, Int64Builder,
    StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use tpchgen::generators::LineItemGenerator;

const BATCH_ROWS: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
}

pub fn lineitem_schema() -> SchemaRef {
    let decimal = DataType::Decimal128(15, 2);
    Arc::new(Schema::new(vec![
        Field::new("l_orderkey", DataType::Int64, false),
        Field::new("l_partkey", DataType::Int64, false),
        Field::new("l_suppkey", DataType::Int64, false),
        Field::new("l_linenumber", DataType::Int32, false),
        Field::new("l_quantity", DataType::Int64, false),
        Field::new("l_extendedprice", decimal.clone(), false),
        Field::new("l_discount", decimal.clone(), false),
        Field::new("l_tax", decimal, false),
        Field::new("l_returnflag", DataType::Utf8, false),
        Field::new("l_linestatus", DataType::Utf8, false),
        Field::new("l_shipdate", DataType::Date32, false),
        Field::new("l_commitdate", DataType::Date32, false),
        Field::new("l_receiptdate", DataType::Date32, false),
        Field::new("l_shipinstruct", DataType::Utf8, false),
        Field::new("l_shipmode", DataType::Utf8, false),
        Field::new("l_comment", DataType::Utf8, false),
    ]))
}

/// Writes `lineitem` at `scale_factor` as `files` Parquet files (Snappy, as most
/// lake writers produce) under `dir`, generating the parts on all cores.
pub fn write_lineitem(dir: &Path, scale_factor: f64, files: usize) -> anyhow::Result<Written> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = files.max(1);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files);
    let results: Vec<anyhow::Result<Written>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|worker| {
                scope.spawn(move || {
                    let mut total = Written::default();
                    for part in (worker..files).step_by(threads) {
                        let path = dir.join(format!("lineitem-{:03}.parquet", part + 1));
                        let written =
                            write_part(&path, scale_factor, part as i32 + 1, files as i32)?;
                        total.files += written.files;
                        total.rows += written.rows;
                        total.bytes += written.bytes;
                    }
                    Ok(total)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("generator thread panicked"))
            .collect()
    });
    let mut total = Written::default();
    for written in results {
        let written = written?;
        total.files += written.files;
        total.rows += written.rows;
        total.bytes += written.bytes;
    }
    Ok(total)
}

fn write_part(
    path: &PathBuf,
    scale_factor: f64,
    part: i32,
    part_count: i32,
) -> anyhow::Result<Written> {
    let schema = lineitem_schema();
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))?;
    let mut rows = 0u64;
    let mut columns = Columns::new();
    for item in LineItemGenerator::new(scale_factor, part, part_count).iter() {
        columns.orderkey.append_value(item.l_orderkey);
        columns.partkey.append_value(item.l_partkey);
        columns.suppkey.append_value(item.l_suppkey);
        columns.linenumber.append_value(item.l_linenumber);
        columns.quantity.append_value(item.l_quantity);
        columns
            .extendedprice
            .append_value(item.l_extendedprice.into_inner() as i128);
        columns
            .discount
            .append_value(item.l_discount.into_inner() as i128);
        columns.tax.append_value(item.l_tax.into_inner() as i128);
        columns.returnflag.append_value(item.l_returnflag);
        columns.linestatus.append_value(item.l_linestatus);
        columns
            .shipdate
            .append_value(item.l_shipdate.to_unix_epoch());
        columns
            .commitdate
            .append_value(item.l_commitdate.to_unix_epoch());
        columns
            .receiptdate
            .append_value(item.l_receiptdate.to_unix_epoch());
        columns.shipinstruct.append_value(item.l_shipinstruct);
        columns.shipmode.append_value(item.l_shipmode);
        columns.comment.append_value(item.l_comment);
        rows += 1;
        if columns.len() >= BATCH_ROWS {
            writer.write(&columns.finish(&schema)?)?;
        }
    }
    if columns.len() > 0 {
        writer.write(&columns.finish(&schema)?)?;
    }
    writer.close()?;
    Ok(Written {
        files: 1,
        rows,
        bytes: std::fs::metadata(path)?.len(),
    })
}

struct Columns {
    orderkey: Int64Builder,
    partkey: Int64Builder,
    suppkey: Int64Builder,
    linenumber: Int32Builder,
    quantity: Int64Builder,
    extendedprice: Decimal128Builder,
    discount: Decimal128Builder,
    tax: Decimal128Builder,
    returnflag: StringBuilder,
    linestatus: StringBuilder,
    shipdate: Date32Builder,
    commitdate: Date32Builder,
    receiptdate: Date32Builder,
    shipinstruct: StringBuilder,
    shipmode: StringBuilder,
    comment: StringBuilder,
}

impl Columns {
    fn new() -> Self {
        let decimal = || {
            Decimal128Builder::new()
                .with_precision_and_scale(15, 2)
                .expect("valid decimal")
        };
        Self {
            orderkey: Int64Builder::new(),
            partkey: Int64Builder::new(),
            suppkey: Int64Builder::new(),
            linenumber: Int32Builder::new(),
            quantity: Int64Builder::new(),
            extendedprice: decimal(),
            discount: decimal(),
            tax: decimal(),
            returnflag: StringBuilder::new(),
            linestatus: StringBuilder::new(),
            shipdate: Date32Builder::new(),
            commitdate: Date32Builder::new(),
            receiptdate: Date32Builder::new(),
            shipinstruct: StringBuilder::new(),
            shipmode: StringBuilder::new(),
            comment: StringBuilder::new(),
        }
    }

    fn len(&self) -> usize {
        self.orderkey.len()
    }

    fn finish(&mut self, schema: &SchemaRef) -> anyhow::Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.orderkey.finish()),
            Arc::new(self.partkey.finish()),
            Arc::new(self.suppkey.finish()),
            Arc::new(self.linenumber.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.extendedprice.finish()),
            Arc::new(self.discount.finish()),
            Arc::new(self.tax.finish()),
            Arc::new(self.returnflag.finish()),
            Arc::new(self.linestatus.finish()),
            Arc::new(self.shipdate.finish()),
            Arc::new(self.commitdate.finish()),
            Arc::new(self.receiptdate.finish()),
            Arc::new(self.shipinstruct.finish()),
            Arc::new(self.shipmode.finish()),
            Arc::new(self.comment.finish()),
        ];
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}
