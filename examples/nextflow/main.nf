#!/usr/bin/env nextflow
// Minimal pipeline: an `alkseq batch` samplesheet → ALKSEQ_ANNOTATE once per sample.
//   nextflow run examples/nextflow/main.nf -profile docker --samplesheet examples/samplesheet.csv --outdir results
nextflow.enable.dsl = 2

include { ALKSEQ_ANNOTATE } from './modules/alkseq/annotate/main'

params.samplesheet = null
params.outdir      = 'results'

workflow {
    if (!params.samplesheet) { error "Give --samplesheet (columns: sample, path, bam, prior, …)" }
    def sheet = file(params.samplesheet)

    ch_samples = channel
        .fromPath(sheet)
        .splitCsv(header: true)
        .map { row ->
            def meta = [ id: row.sample ]
            if (row.prior) { meta.prior = row.prior.tokenize(';')*.trim() }
            ['histology', 'progression', 'build', 'specimen', 'input_sample'].each { key ->
                if (row[key]) { meta[key] = row[key] }
            }
            def input = sheet.parent.resolve(row.path)
            def bam   = row.bam ? sheet.parent.resolve(row.bam) : []
            def bai   = row.bam ? file("${bam}.bai") : []
            [ meta, input, bam, bai ]
        }

    ALKSEQ_ANNOTATE(ch_samples)   // outputs are published by nextflow.config (publishDir)

    channel.topic('versions')
        .map { process, tool, version -> "${process}:\n    ${tool}: ${version}" }
        .collectFile(name: 'software_versions.yml', storeDir: params.outdir, newLine: true)
}
