#!/usr/bin/env nextflow
// Minimal pipeline: an `alkseq batch` samplesheet → ALKSEQ_ANNOTATE once per sample.
//   nextflow run examples/nextflow/main.nf --samplesheet samples.csv --outdir results
nextflow.enable.dsl = 2

include { ALKSEQ_ANNOTATE } from './modules/alkseq/annotate/main'

params.samplesheet = null
params.outdir      = 'results'

workflow {
    if (!params.samplesheet) { error "Give --samplesheet (columns: sample, path, prior, …)" }
    def sheet = file(params.samplesheet)

    ch_samples = Channel
        .fromPath(sheet)
        .splitCsv(header: true)
        .map { row ->
            def meta = [ id: row.sample ]
            if (row.prior)       { meta.prior = row.prior.tokenize(';')*.trim() }
            ['histology', 'progression', 'build', 'specimen'].each { key ->
                if (row[key]) { meta[key] = row[key] }
            }
            def input = sheet.parent.resolve(row.path)
            def bam   = row.bam ? sheet.parent.resolve(row.bam) : []
            def bai   = row.bam ? file("${bam}.bai") : []
            [ meta, input, bam, bai ]
        }

    ALKSEQ_ANNOTATE(ch_samples)
    ALKSEQ_ANNOTATE.out.json.map { meta, json -> json }
        .collectFile(storeDir: params.outdir)
}
