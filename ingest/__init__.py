"""Everything that writes the raw layer: devices, USB files, ADMS push, reference exports."""
