process ALKSEQ_ANNOTATE {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/environment.yml"
    // No published container yet: set process.container in your config (see README.md).

    input:
    tuple val(meta), path(input), path(bam), path(bai)

    output:
    tuple val(meta), path("*.alkseq.json"), emit: json
    tuple val(meta), path("*.alkseq.txt") , emit: txt
    path "versions.yml"                    , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args    = task.ext.args ?: ''
    def prefix  = task.ext.prefix ?: "${meta.id}"
    def prior   = (meta.prior ?: []).collect { "--prior '${it}'" }.join(' ')
    def context = ['histology', 'progression', 'build', 'specimen']
        .findAll { meta[it] }
        .collect { "--${it} '${meta[it]}'" }
        .join(' ')
    def reads   = bam ? "--bam ${bam}" : ''
    """
    alkseq annotate \\
        ${input} \\
        ${prior} \\
        ${context} \\
        ${reads} \\
        ${args} \\
        --format json \\
        -o ${prefix}.alkseq.json

    alkseq annotate \\
        ${input} \\
        ${prior} \\
        ${context} \\
        ${reads} \\
        ${args} \\
        --format text \\
        -o ${prefix}.alkseq.txt

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        alkseq: \$(alkseq --version | sed 's/^alkseq //; s/ (.*//')
        alkseq_knowledge: \$(alkseq --version | sed 's/.*knowledge base //; s/)//')
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo '{}' > ${prefix}.alkseq.json
    touch ${prefix}.alkseq.txt

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        alkseq: \$(alkseq --version | sed 's/^alkseq //; s/ (.*//')
    END_VERSIONS
    """
}
