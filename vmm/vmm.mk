# vmm: rules added with its code
