# genomics: the seed paper's DNA-processing VM. Short-read alignment (BWA),
# SAM/BAM handling (samtools) and Python 3.11 or newer for the glue
# scripts, and nothing else. The objective is the smallest installed size,
# since such VMs are started by the hundred.
vm "genomics" {
  extends   = "minimal"
  objective = "size"

  need  = ["bwa", "samtools", "python3 (>= 3.11)"]
  avoid = ["systemd", "perl (<< 5.36)"]

  hardware {
    cpus   = 4
    memory = "4G"
  }

  probe "tools" {
    command {
      run    = "samtools --version"
      expect = "samtools"
    }
  }
}
