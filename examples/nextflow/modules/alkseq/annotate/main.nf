process ALKSEQ_ANNOTATE {
    tag "$meta.id"
    label 'process_single'

    // alkseq is not on Bioconda or a public registry: both recipes install it from this
    // repository (see examples/nextflow/README.md). Build the image once from the repository
    // root: docker build -f examples/nextflow/Dockerfile -t alkseq:0.1.0 .
    conda "${moduleDir}/environment.yml"
    container "alkseq:0.1.0"

    input:
    tuple val(meta), path(input), path(bam), path(bai)

    output:
    tuple val(meta), path("*.alkseq.json")                              , emit: json
    tuple val(meta), path("*.alkseq.html")                              , emit: html
    tuple val(meta), path("*.alkseq.vcf.gz"), path("*.alkseq.vcf.gz.tbi"), emit: vcf, optional: true
    tuple val("${task.process}"), val('alkseq'), eval("alkseq --version | sed 's/^alkseq //; s/ .*//'"), emit: versions_alkseq, topic: versions
    path "versions.yml"                                                 , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    // Per-sample context (--prior, --histology, --progression, --build, --specimen, --sample)
    // comes in through task.ext.args, built from meta in the pipeline's config (nf-core style;
    // see examples/nextflow/nextflow.config).
    def args    = task.ext.args ?: ''
    def prefix  = task.ext.prefix ?: "${meta.id}"
    def reads   = bam ? "--bam ${bam}" : ''
    // the annotated VCF exists only for a VCF/BCF input
    def vcf_out = (input.name ==~ /.*\.(vcf|vcf\.gz|vcf\.bgz|bcf)$/) ? "-o ${prefix}.alkseq.vcf.gz" : ''
    """
    alkseq annotate \\
        ${input} \\
        --sample-name '${meta.id}' \\
        ${reads} \\
        ${args} \\
        -o ${prefix}.alkseq.json \\
        -o ${prefix}.alkseq.html \\
        ${vcf_out}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        alkseq: \$(alkseq --version | sed 's/^alkseq //; s/ .*//')
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    def vcf_stub = (input.name ==~ /.*\.(vcf|vcf\.gz|vcf\.bgz|bcf)$/) ?
        "echo '' | gzip > ${prefix}.alkseq.vcf.gz && touch ${prefix}.alkseq.vcf.gz.tbi" : ''
    """
    echo '{"schema": "alkseq-report/2.0", "samples": [], "failures": []}' > ${prefix}.alkseq.json
    touch ${prefix}.alkseq.html
    ${vcf_stub}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        alkseq: \$(alkseq --version | sed 's/^alkseq //; s/ .*//')
    END_VERSIONS
    """
}
