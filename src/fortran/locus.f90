! locus: the Fortran interface to liblocus (iso_c_binding over include/locus/locus.h).
!
! Every procedure is a function returning an integer status: LOCUS_OK (0) or a code in SmartRedis's SRError
! order; locus_last_error() gives the message of this thread's last failure. Arrays of any rank are passed
! as they are: they are stored with dims = shape(array), and element a(i,j,k) is element [i-1][j-1][k-1] of
! the stored tensor, so C and Python readers see the same indices (the library transposes, cache-blocked).
! The per-type procedures follow one template; keep the six tensor types and four metadata types in step.
module locus
  use, intrinsic :: iso_c_binding
  implicit none
  private

  integer, parameter, public :: LOCUS_OK = 0, LOCUS_ERR_BADALLOC = 1, LOCUS_ERR_DATABASE = 2, &
       LOCUS_ERR_INTERNAL = 3, LOCUS_ERR_RUNTIME = 4, LOCUS_ERR_PARAMETER = 5, LOCUS_ERR_TIMEOUT = 6, &
       LOCUS_ERR_KEY = 7, LOCUS_ERR_INVALID = 8, LOCUS_ERR_TYPE = 9
  integer(c_int), parameter :: LOCUS_DTYPE_DOUBLE = 1, LOCUS_DTYPE_FLOAT = 2, LOCUS_DTYPE_INT8 = 3, &
       LOCUS_DTYPE_INT16 = 4, LOCUS_DTYPE_INT32 = 5, LOCUS_DTYPE_INT64 = 6
  integer(c_int), parameter :: LOCUS_LAYOUT_FORTRAN_CONTIGUOUS = 4
  integer(c_int), parameter :: LOCUS_META_DOUBLE = 1, LOCUS_META_FLOAT = 2, LOCUS_META_INT32 = 3, &
       LOCUS_META_INT64 = 4, LOCUS_META_STRING = 7
  integer, parameter, public :: LOCUS_CMP_EQ = 0, LOCUS_CMP_GE = 1, LOCUS_CMP_LE = 2
  integer, parameter, public :: LOCUS_KIND_TENSOR = 0, LOCUS_KIND_DATASET = 1, LOCUS_KIND_LIST = 2, &
       LOCUS_KIND_MODEL = 3

  public :: locus_last_error, locus_version

  !> A connection to a standalone or clustered database (not thread-safe: one per thread).
  type, public :: locus_client
     type(c_ptr) :: ptr = c_null_ptr
   contains
     procedure :: initialize => client_initialize
     procedure :: destroy => client_destroy
     procedure :: is_cluster => client_is_cluster
     procedure :: set_data_source => client_set_data_source
     procedure :: use_prefix => client_use_prefix
     generic :: put_tensor => put_i8, put_i16, put_i32, put_i64, put_r32, put_r64
     generic :: unpack_tensor => unpack_i8, unpack_i16, unpack_i32, unpack_i64, unpack_r32, unpack_r64
     procedure, private :: put_i8, unpack_i8
     procedure, private :: put_i16, unpack_i16
     procedure, private :: put_i32, unpack_i32
     procedure, private :: put_i64, unpack_i64
     procedure, private :: put_r32, unpack_r32
     procedure, private :: put_r64, unpack_r64
     procedure :: delete_tensor => client_delete_tensor
     procedure :: copy_tensor => client_copy_tensor
     procedure :: rename_tensor => client_rename_tensor
     procedure :: tensor_exists => client_tensor_exists
     procedure :: poll_tensor => client_poll_tensor
     procedure :: put_dataset => client_put_dataset
     procedure :: get_dataset => client_get_dataset
     procedure :: dataset_exists => client_dataset_exists
     procedure :: poll_dataset => client_poll_dataset
     procedure :: delete_dataset => client_delete_dataset
     procedure :: copy_dataset => client_copy_dataset
     procedure :: rename_dataset => client_rename_dataset
     procedure :: append_to_list => client_append_to_list
     procedure :: get_list_length => client_get_list_length
     procedure :: poll_list_length => client_poll_list_length
     procedure :: get_datasets_from_list => client_get_datasets_from_list
     procedure :: get_dataset_list_range => client_get_dataset_list_range
     procedure :: delete_list => client_delete_list
     procedure :: copy_list => client_copy_list
     procedure :: rename_list => client_rename_list
     procedure :: set_model => client_set_model
     procedure :: set_model_from_file => client_set_model_from_file
     procedure :: get_model => client_get_model
     procedure :: model_exists => client_model_exists
     procedure :: delete_model => client_delete_model
     procedure :: run_model => client_run_model
     procedure :: set_script => client_set_script
     procedure :: set_script_from_file => client_set_script_from_file
     procedure :: get_script => client_get_script
     procedure :: script_exists => client_script_exists
     procedure :: delete_script => client_delete_script
     procedure :: run_script => client_run_script
     procedure :: colocation_tag => client_colocation_tag
     procedure :: set_model_multigpu => client_set_model_multigpu
     procedure :: set_model_from_file_multigpu => client_set_model_from_file_multigpu
     procedure :: set_script_multigpu => client_set_script_multigpu
     procedure :: set_script_from_file_multigpu => client_set_script_from_file_multigpu
     procedure :: run_model_multigpu => client_run_model_multigpu
     procedure :: run_script_multigpu => client_run_script_multigpu
     procedure :: delete_model_multigpu => client_delete_model_multigpu
     procedure :: delete_script_multigpu => client_delete_script_multigpu
     procedure :: flush_db => client_flush_db
     procedure :: save => client_save
     procedure :: config_set => client_config_set
     procedure :: config_get => client_config_get
     procedure :: get_db_node_info => client_get_db_node_info
     procedure :: get_db_cluster_info => client_get_db_cluster_info
     procedure :: get_ai_info => client_get_ai_info
  end type locus_client

  !> A table of (section, key, value) strings from an administration call (locus_info of locus.h).
  type, public :: locus_info
     type(c_ptr) :: ptr = c_null_ptr
   contains
     procedure :: count => info_count
     procedure :: entry => info_entry
     procedure :: get => info_get
     procedure :: destroy => info_destroy
  end type locus_info

  !> locus_model_options of locus.h (same layout).
  type, bind(c) :: c_model_options
     type(c_ptr) :: backend = c_null_ptr, device = c_null_ptr
     integer(c_int) :: batch_size = 0, min_batch_size = 0, min_batch_timeout_ms = 0
     type(c_ptr) :: tag = c_null_ptr, inputs = c_null_ptr
     integer(c_size_t) :: n_inputs = 0
     type(c_ptr) :: outputs = c_null_ptr
     integer(c_size_t) :: n_outputs = 0
  end type c_model_options

  !> Names as NUL-terminated C strings and the array of pointers to them (alive as long as this is).
  type :: c_names
     character(kind=c_char), allocatable :: buf(:)
     type(c_ptr), allocatable :: ptrs(:)
  end type c_names

  !> A named group of tensors and metadata, put and fetched as one.
  type, public :: locus_dataset
     type(c_ptr) :: ptr = c_null_ptr
   contains
     procedure :: initialize => dataset_initialize
     procedure :: destroy => dataset_destroy
     procedure :: name => dataset_name
     procedure :: add_meta_string => dataset_add_meta_string
     procedure :: get_meta_string => dataset_get_meta_string
     procedure :: meta_string_count => dataset_meta_string_count
     generic :: add_tensor => ds_add_i8, ds_add_i16, ds_add_i32, ds_add_i64, ds_add_r32, ds_add_r64
     generic :: unpack_dataset_tensor => ds_unpack_i8, ds_unpack_i16, ds_unpack_i32, ds_unpack_i64, ds_unpack_r32, ds_unpack_r64
     generic :: add_meta_scalar => ds_meta_i32, ds_meta_i64, ds_meta_r32, ds_meta_r64
     generic :: get_meta_scalars => ds_getmeta_i32, ds_getmeta_i64, ds_getmeta_r32, ds_getmeta_r64
     procedure, private :: ds_add_i8, ds_unpack_i8
     procedure, private :: ds_add_i16, ds_unpack_i16
     procedure, private :: ds_add_i32, ds_unpack_i32
     procedure, private :: ds_add_i64, ds_unpack_i64
     procedure, private :: ds_add_r32, ds_unpack_r32
     procedure, private :: ds_add_r64, ds_unpack_r64
     procedure, private :: ds_meta_i32, ds_getmeta_i32
     procedure, private :: ds_meta_i64, ds_getmeta_i64
     procedure, private :: ds_meta_r32, ds_getmeta_r32
     procedure, private :: ds_meta_r64, ds_getmeta_r64
  end type locus_dataset

  interface
     function c_strlen(s) bind(c, name="strlen") result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: s
       integer(c_size_t) :: n
     end function
     function c_last_error() bind(c, name="locus_last_error") result(p)
       import :: c_ptr
       type(c_ptr) :: p
     end function
     function c_version() bind(c, name="locus_version") result(p)
       import :: c_ptr
       type(c_ptr) :: p
     end function
     subroutine c_free(p) bind(c, name="locus_free")
       import :: c_ptr
       type(c_ptr), value :: p
     end subroutine
     function c_client_create_from_env(suffix, out) bind(c, name="locus_client_create_from_env") result(s)
       import :: c_ptr, c_int
       type(c_ptr), value :: suffix
       type(c_ptr) :: out
       integer(c_int) :: s
     end function
     subroutine c_client_destroy(c) bind(c, name="locus_client_destroy")
       import :: c_ptr
       type(c_ptr), value :: c
     end subroutine
     function c_client_is_cluster(c) bind(c, name="locus_client_is_cluster") result(b)
       import :: c_ptr, c_bool
       type(c_ptr), value :: c
       logical(c_bool) :: b
     end function
     function c_set_data_source(c, s) bind(c, name="locus_set_data_source") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: s(*)
       integer(c_int) :: r
     end function
     function c_use_prefix(c, kind, on) bind(c, name="locus_use_prefix") result(r)
       import :: c_ptr, c_int, c_bool
       type(c_ptr), value :: c
       integer(c_int), value :: kind
       logical(c_bool), value :: on
       integer(c_int) :: r
     end function
     function c_put_tensor(c, name, data, dims, ndims, type, layout) &
          bind(c, name="locus_put_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c, data
       character(kind=c_char) :: name(*)
       integer(c_size_t) :: dims(*)
       integer(c_size_t), value :: ndims
       integer(c_int), value :: type, layout
       integer(c_int) :: r
     end function
     function c_unpack_tensor(c, name, data, dims, ndims, type, layout) &
          bind(c, name="locus_unpack_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c, data
       character(kind=c_char) :: name(*)
       integer(c_size_t) :: dims(*)
       integer(c_size_t), value :: ndims
       integer(c_int), value :: type, layout
       integer(c_int) :: r
     end function
     function c_dataset_add_tensor(c, name, data, dims, ndims, type, layout) &
          bind(c, name="locus_dataset_add_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c, data
       character(kind=c_char) :: name(*)
       integer(c_size_t) :: dims(*)
       integer(c_size_t), value :: ndims
       integer(c_int), value :: type, layout
       integer(c_int) :: r
     end function
     function c_dataset_unpack_tensor(c, name, data, dims, ndims, type, layout) &
          bind(c, name="locus_dataset_unpack_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c, data
       character(kind=c_char) :: name(*)
       integer(c_size_t) :: dims(*)
       integer(c_size_t), value :: ndims
       integer(c_int), value :: type, layout
       integer(c_int) :: r
     end function
     function c_dataset_create(name, out) bind(c, name="locus_dataset_create") result(r)
       import :: c_ptr, c_char, c_int
       character(kind=c_char) :: name(*)
       type(c_ptr) :: out
       integer(c_int) :: r
     end function
     subroutine c_dataset_destroy(d) bind(c, name="locus_dataset_destroy")
       import :: c_ptr
       type(c_ptr), value :: d
     end subroutine
     function c_dataset_name(d) bind(c, name="locus_dataset_name") result(p)
       import :: c_ptr
       type(c_ptr), value :: d
       type(c_ptr) :: p
     end function
     function c_dataset_add_meta_scalar(d, field, value, type) &
          bind(c, name="locus_dataset_add_meta_scalar") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: d, value
       character(kind=c_char) :: field(*)
       integer(c_int), value :: type
       integer(c_int) :: r
     end function
     function c_dataset_add_meta_string(d, field, value) &
          bind(c, name="locus_dataset_add_meta_string") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: d
       character(kind=c_char) :: field(*), value(*)
       integer(c_int) :: r
     end function
     function c_dataset_get_meta_scalars(d, field, values, count, type) &
          bind(c, name="locus_dataset_get_meta_scalars") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: d
       character(kind=c_char) :: field(*)
       type(c_ptr) :: values
       integer(c_size_t) :: count
       integer(c_int) :: type
       integer(c_int) :: r
     end function
     function c_dataset_get_meta_string(d, field, i, value, len, count) &
          bind(c, name="locus_dataset_get_meta_string") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: d
       character(kind=c_char) :: field(*)
       integer(c_size_t), value :: i
       type(c_ptr) :: value
       integer(c_size_t) :: len, count
       integer(c_int) :: r
     end function
     function c_get_dataset(c, name, out) bind(c, name="locus_get_dataset") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       type(c_ptr) :: out
       integer(c_int) :: r
     end function
     function c_append_to_list(c, list, d) bind(c, name="locus_append_to_list") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c, d
       character(kind=c_char) :: list(*)
       integer(c_int) :: r
     end function
     function c_get_list_length(c, list, n) bind(c, name="locus_get_list_length") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c
       character(kind=c_char) :: list(*)
       integer(c_size_t) :: n
       integer(c_int) :: r
     end function
     function c_poll_list_length(c, list, n, cmp, ms, tries, ok) &
          bind(c, name="locus_poll_list_length") result(r)
       import :: c_ptr, c_char, c_int, c_size_t, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: list(*)
       integer(c_size_t), value :: n
       integer(c_int), value :: cmp, ms, tries
       logical(c_bool) :: ok
       integer(c_int) :: r
     end function
     function c_get_dataset_list_range(c, list, start, end, out, n) &
          bind(c, name="locus_get_dataset_list_range") result(r)
       import :: c_ptr, c_char, c_int, c_long, c_size_t
       type(c_ptr), value :: c
       character(kind=c_char) :: list(*)
       integer(c_long), value :: start, end
       type(c_ptr) :: out
       integer(c_size_t) :: n
       integer(c_int) :: r
     end function
     function c_delete_tensor(c, name) bind(c, name="locus_delete_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int) :: r
     end function
     function c_copy_tensor(c, a, b) bind(c, name="locus_copy_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: a(*), b(*)
       integer(c_int) :: r
     end function
     function c_rename_tensor(c, a, b) bind(c, name="locus_rename_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: a(*), b(*)
       integer(c_int) :: r
     end function
     function c_tensor_exists(c, name, ex) bind(c, name="locus_tensor_exists") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       logical(c_bool) :: ex
       integer(c_int) :: r
     end function
     function c_poll_tensor(c, name, ms, tries, ex) bind(c, name="locus_poll_tensor") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int), value :: ms, tries
       logical(c_bool) :: ex
       integer(c_int) :: r
     end function
     function c_put_dataset(c, d) bind(c, name="locus_put_dataset") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c, d
       integer(c_int) :: r
     end function
     function c_dataset_exists(c, name, ex) bind(c, name="locus_dataset_exists") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       logical(c_bool) :: ex
       integer(c_int) :: r
     end function
     function c_poll_dataset(c, name, ms, tries, ex) bind(c, name="locus_poll_dataset") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int), value :: ms, tries
       logical(c_bool) :: ex
       integer(c_int) :: r
     end function
     function c_delete_dataset(c, name) bind(c, name="locus_delete_dataset") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int) :: r
     end function
     function c_copy_dataset(c, a, b) bind(c, name="locus_copy_dataset") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: a(*), b(*)
       integer(c_int) :: r
     end function
     function c_rename_dataset(c, a, b) bind(c, name="locus_rename_dataset") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: a(*), b(*)
       integer(c_int) :: r
     end function
     function c_delete_list(c, name) bind(c, name="locus_delete_list") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int) :: r
     end function
     function c_copy_list(c, a, b) bind(c, name="locus_copy_list") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: a(*), b(*)
       integer(c_int) :: r
     end function
     function c_rename_list(c, a, b) bind(c, name="locus_rename_list") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: a(*), b(*)
       integer(c_int) :: r
     end function
     function c_set_model(c, name, blob, len, o) bind(c, name="locus_set_model") result(r)
       import :: c_ptr, c_char, c_int, c_size_t, c_model_options
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), blob(*)
       integer(c_size_t), value :: len
       type(c_model_options) :: o
       integer(c_int) :: r
     end function
     function c_set_model_from_file(c, name, path, o) bind(c, name="locus_set_model_from_file") result(r)
       import :: c_ptr, c_char, c_int, c_model_options
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), path(*)
       type(c_model_options) :: o
       integer(c_int) :: r
     end function
     function c_get_model(c, name, blob, len) bind(c, name="locus_get_model") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       type(c_ptr) :: blob
       integer(c_size_t) :: len
       integer(c_int) :: r
     end function
     function c_model_exists(c, name, ex) bind(c, name="locus_model_exists") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       logical(c_bool) :: ex
       integer(c_int) :: r
     end function
     function c_delete_model(c, name) bind(c, name="locus_delete_model") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int) :: r
     end function
     function c_run_model(c, name, inputs, n_in, outputs, n_out) bind(c, name="locus_run_model") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       type(c_ptr) :: inputs(*), outputs(*)
       integer(c_size_t), value :: n_in, n_out
       integer(c_int) :: r
     end function
     function c_set_script(c, name, device, source) bind(c, name="locus_set_script") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), device(*), source(*)
       integer(c_int) :: r
     end function
     function c_set_script_from_file(c, name, device, path) bind(c, name="locus_set_script_from_file") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), device(*), path(*)
       integer(c_int) :: r
     end function
     function c_get_script(c, name, source) bind(c, name="locus_get_script") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       type(c_ptr) :: source
       integer(c_int) :: r
     end function
     function c_script_exists(c, name, ex) bind(c, name="locus_script_exists") result(r)
       import :: c_ptr, c_char, c_int, c_bool
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       logical(c_bool) :: ex
       integer(c_int) :: r
     end function
     function c_delete_script(c, name) bind(c, name="locus_delete_script") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int) :: r
     end function
     function c_run_script(c, name, fn, inputs, n_in, outputs, n_out) bind(c, name="locus_run_script") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), fn(*)
       type(c_ptr) :: inputs(*), outputs(*)
       integer(c_size_t), value :: n_in, n_out
       integer(c_int) :: r
     end function
     function c_flush_db(c, address) bind(c, name="locus_flush_db") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: c
       character(kind=c_char), intent(in) :: address(*)
       integer(c_int) :: r
     end function
     function c_save(c, address) bind(c, name="locus_save") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: c
       character(kind=c_char), intent(in) :: address(*)
       integer(c_int) :: r
     end function
     function c_config_set(c, param, value, address) bind(c, name="locus_config_set") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: c
       character(kind=c_char), intent(in) :: param(*), value(*), address(*)
       integer(c_int) :: r
     end function
     function c_config_get(c, expression, address, out) bind(c, name="locus_config_get") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: c
       character(kind=c_char), intent(in) :: expression(*), address(*)
       type(c_ptr), intent(out) :: out
       integer(c_int) :: r
     end function
     function c_get_db_node_info(c, address, out) bind(c, name="locus_get_db_node_info") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: c
       character(kind=c_char), intent(in) :: address(*)
       type(c_ptr), intent(out) :: out
       integer(c_int) :: r
     end function
     function c_get_ai_info(c, address, name, reset_stat, out) bind(c, name="locus_get_ai_info") result(r)
       import :: c_ptr, c_int, c_char, c_bool
       type(c_ptr), value :: c
       character(kind=c_char), intent(in) :: address(*), name(*)
       logical(c_bool), value :: reset_stat
       type(c_ptr), intent(out) :: out
       integer(c_int) :: r
     end function
     function c_get_db_cluster_info(c, address, out) bind(c, name="locus_get_db_cluster_info") result(r)
       import :: c_ptr, c_int, c_char
       type(c_ptr), value :: c
       character(kind=c_char), intent(in) :: address(*)
       type(c_ptr), intent(out) :: out
       integer(c_int) :: r
     end function
     function c_info_count(t) bind(c, name="locus_info_count") result(n)
       import :: c_ptr, c_size_t
       type(c_ptr), value :: t
       integer(c_size_t) :: n
     end function
     function c_info_entry(t, i, sec, key, val) bind(c, name="locus_info_entry") result(r)
       import :: c_ptr, c_size_t, c_int
       type(c_ptr), value :: t
       integer(c_size_t), value :: i
       type(c_ptr), intent(out) :: sec, key, val
       integer(c_int) :: r
     end function
     function c_info_get(t, sec, key) bind(c, name="locus_info_get") result(p)
       import :: c_ptr, c_char
       type(c_ptr), value :: t, sec
       character(kind=c_char), intent(in) :: key(*)
       type(c_ptr) :: p
     end function
     subroutine c_info_destroy(t) bind(c, name="locus_info_destroy")
       import :: c_ptr
       type(c_ptr), value :: t
     end subroutine
     function c_colocation_tag(c, near, buf, len) bind(c, name="locus_colocation_tag") result(r)
       import :: c_ptr, c_int, c_char, c_size_t
       type(c_ptr), value :: c, near
       character(kind=c_char) :: buf(*)
       integer(c_size_t), value :: len
       integer(c_int) :: r
     end function
     function c_set_model_multigpu(c, name, blob, len, o, first, num) bind(c, name="locus_set_model_multigpu") &
          result(r)
       import :: c_ptr, c_char, c_int, c_size_t, c_model_options
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), blob(*)
       integer(c_size_t), value :: len
       type(c_model_options) :: o
       integer(c_int), value :: first, num
       integer(c_int) :: r
     end function
     function c_set_model_from_file_multigpu(c, name, path, o, first, num) &
          bind(c, name="locus_set_model_from_file_multigpu") result(r)
       import :: c_ptr, c_char, c_int, c_model_options
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), path(*)
       type(c_model_options) :: o
       integer(c_int), value :: first, num
       integer(c_int) :: r
     end function
     function c_set_script_multigpu(c, name, source, first, num) bind(c, name="locus_set_script_multigpu") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), source(*)
       integer(c_int), value :: first, num
       integer(c_int) :: r
     end function
     function c_set_script_from_file_multigpu(c, name, path, first, num) &
          bind(c, name="locus_set_script_from_file_multigpu") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), path(*)
       integer(c_int), value :: first, num
       integer(c_int) :: r
     end function
     function c_run_model_multigpu(c, name, inputs, n_in, outputs, n_out, offset, first, num) &
          bind(c, name="locus_run_model_multigpu") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       type(c_ptr) :: inputs(*), outputs(*)
       integer(c_size_t), value :: n_in, n_out
       integer(c_int), value :: offset, first, num
       integer(c_int) :: r
     end function
     function c_run_script_multigpu(c, name, fn, inputs, n_in, outputs, n_out, offset, first, num) &
          bind(c, name="locus_run_script_multigpu") result(r)
       import :: c_ptr, c_char, c_int, c_size_t
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*), fn(*)
       type(c_ptr) :: inputs(*), outputs(*)
       integer(c_size_t), value :: n_in, n_out
       integer(c_int), value :: offset, first, num
       integer(c_int) :: r
     end function
     function c_delete_model_multigpu(c, name, first, num) bind(c, name="locus_delete_model_multigpu") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int), value :: first, num
       integer(c_int) :: r
     end function
     function c_delete_script_multigpu(c, name, first, num) bind(c, name="locus_delete_script_multigpu") result(r)
       import :: c_ptr, c_char, c_int
       type(c_ptr), value :: c
       character(kind=c_char) :: name(*)
       integer(c_int), value :: first, num
       integer(c_int) :: r
     end function
  end interface

contains

  pure function cstr(s) result(r)
    character(len=*), intent(in) :: s
    character(kind=c_char, len=len_trim(s) + 1) :: r
    r = trim(s) // c_null_char
  end function

  function from_c(p) result(s)
    type(c_ptr), intent(in) :: p
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer(c_size_t) :: n, i
    if (.not. c_associated(p)) then
       s = ''
       return
    end if
    n = c_strlen(p)
    call c_f_pointer(p, chars, [n])
    allocate(character(len=n) :: s)
    do i = 1, n
       s(i:i) = chars(i)
    end do
  end function

  !> The message of this thread's last failed call.
  function locus_last_error() result(s)
    character(len=:), allocatable :: s
    s = from_c(c_last_error())
  end function

  function locus_version() result(s)
    character(len=:), allocatable :: s
    s = from_c(c_version())
  end function

  !> Connect using SSDB, SR_DB_TYPE, SR_* (with _<suffix> when suffix is given).
  integer function client_initialize(self, suffix) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in), optional :: suffix
    character(kind=c_char, len=:), allocatable, target :: sfx
    if (present(suffix)) then
       sfx = cstr(suffix)
       st = c_client_create_from_env(c_loc(sfx), self%ptr)
    else
       st = c_client_create_from_env(c_null_ptr, self%ptr)
    end if
  end function

  subroutine client_destroy(self)
    class(locus_client), intent(inout) :: self
    call c_client_destroy(self%ptr)
    self%ptr = c_null_ptr
  end subroutine

  logical function client_is_cluster(self)
    class(locus_client), intent(in) :: self
    client_is_cluster = c_client_is_cluster(self%ptr)
  end function

  integer function client_set_data_source(self, source) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: source
    st = c_set_data_source(self%ptr, cstr(source))
  end function

  integer function client_use_prefix(self, kind, on) result(st)
    class(locus_client), intent(inout) :: self
    integer, intent(in) :: kind
    logical, intent(in) :: on
    st = c_use_prefix(self%ptr, int(kind, c_int), logical(on, c_bool))
  end function

  integer function put_i8(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int8_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_put_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT8, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function put_i16(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int16_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_put_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT16, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function put_i32(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int32_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_put_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT32, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function put_i64(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int64_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_put_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT64, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function put_r32(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    real(c_float), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_put_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_FLOAT, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function put_r64(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    real(c_double), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_put_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_DOUBLE, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function unpack_i8(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int8_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT8, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function unpack_i16(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int16_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT16, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function unpack_i32(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int32_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT32, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function unpack_i64(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int64_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT64, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function unpack_r32(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    real(c_float), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_FLOAT, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function unpack_r64(self, name, data) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    real(c_double), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_DOUBLE, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_add_i8(self, name, data) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int8_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_add_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT8, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_add_i16(self, name, data) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int16_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_add_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT16, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_add_i32(self, name, data) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int32_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_add_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT32, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_add_i64(self, name, data) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer(c_int64_t), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_add_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT64, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_add_r32(self, name, data) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: name
    real(c_float), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_add_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_FLOAT, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_add_r64(self, name, data) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: name
    real(c_double), dimension(..), contiguous, target, intent(in) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_add_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_DOUBLE, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_unpack_i8(self, name, data) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: name
    integer(c_int8_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT8, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_unpack_i16(self, name, data) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: name
    integer(c_int16_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT16, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_unpack_i32(self, name, data) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: name
    integer(c_int32_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT32, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_unpack_i64(self, name, data) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: name
    integer(c_int64_t), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_INT64, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_unpack_r32(self, name, data) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: name
    real(c_float), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_FLOAT, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_unpack_r64(self, name, data) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: name
    real(c_double), dimension(..), contiguous, target, intent(inout) :: data
    integer(c_size_t) :: dims(max(rank(data), 1))
    if (rank(data) == 0) then
       dims = 1
    else
       dims = shape(data, kind=c_size_t)
    end if
    st = c_dataset_unpack_tensor(self%ptr, cstr(name), c_loc(data), dims, int(size(dims), c_size_t), LOCUS_DTYPE_DOUBLE, &
         LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
  end function

  integer function ds_meta_i32(self, field, value) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: field
    integer(c_int32_t), intent(in) :: value
    integer(c_int32_t), target :: v
    v = value
    st = c_dataset_add_meta_scalar(self%ptr, cstr(field), c_loc(v), LOCUS_META_INT32)
  end function

  !> All values of a scalar field (of this type) into an allocatable array.
  integer function ds_getmeta_i32(self, field, values) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: field
    integer(c_int32_t), allocatable, intent(out) :: values(:)
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: ty
    integer(c_int32_t), pointer :: fp(:)
    st = c_dataset_get_meta_scalars(self%ptr, cstr(field), p, n, ty)
    if (st /= LOCUS_OK) return
    if (ty /= LOCUS_META_INT32) then
       st = LOCUS_ERR_TYPE
       return
    end if
    call c_f_pointer(p, fp, [n])
    allocate(values(n))
    values = fp
  end function

  integer function ds_meta_i64(self, field, value) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: field
    integer(c_int64_t), intent(in) :: value
    integer(c_int64_t), target :: v
    v = value
    st = c_dataset_add_meta_scalar(self%ptr, cstr(field), c_loc(v), LOCUS_META_INT64)
  end function

  !> All values of a scalar field (of this type) into an allocatable array.
  integer function ds_getmeta_i64(self, field, values) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: field
    integer(c_int64_t), allocatable, intent(out) :: values(:)
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: ty
    integer(c_int64_t), pointer :: fp(:)
    st = c_dataset_get_meta_scalars(self%ptr, cstr(field), p, n, ty)
    if (st /= LOCUS_OK) return
    if (ty /= LOCUS_META_INT64) then
       st = LOCUS_ERR_TYPE
       return
    end if
    call c_f_pointer(p, fp, [n])
    allocate(values(n))
    values = fp
  end function

  integer function ds_meta_r32(self, field, value) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: field
    real(c_float), intent(in) :: value
    real(c_float), target :: v
    v = value
    st = c_dataset_add_meta_scalar(self%ptr, cstr(field), c_loc(v), LOCUS_META_FLOAT)
  end function

  !> All values of a scalar field (of this type) into an allocatable array.
  integer function ds_getmeta_r32(self, field, values) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: field
    real(c_float), allocatable, intent(out) :: values(:)
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: ty
    real(c_float), pointer :: fp(:)
    st = c_dataset_get_meta_scalars(self%ptr, cstr(field), p, n, ty)
    if (st /= LOCUS_OK) return
    if (ty /= LOCUS_META_FLOAT) then
       st = LOCUS_ERR_TYPE
       return
    end if
    call c_f_pointer(p, fp, [n])
    allocate(values(n))
    values = fp
  end function

  integer function ds_meta_r64(self, field, value) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: field
    real(c_double), intent(in) :: value
    real(c_double), target :: v
    v = value
    st = c_dataset_add_meta_scalar(self%ptr, cstr(field), c_loc(v), LOCUS_META_DOUBLE)
  end function

  !> All values of a scalar field (of this type) into an allocatable array.
  integer function ds_getmeta_r64(self, field, values) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: field
    real(c_double), allocatable, intent(out) :: values(:)
    type(c_ptr) :: p
    integer(c_size_t) :: n
    integer(c_int) :: ty
    real(c_double), pointer :: fp(:)
    st = c_dataset_get_meta_scalars(self%ptr, cstr(field), p, n, ty)
    if (st /= LOCUS_OK) return
    if (ty /= LOCUS_META_DOUBLE) then
       st = LOCUS_ERR_TYPE
       return
    end if
    call c_f_pointer(p, fp, [n])
    allocate(values(n))
    values = fp
  end function

  integer function client_delete_tensor(self, name) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    st = c_delete_tensor(self%ptr, cstr(name))
  end function

  integer function client_copy_tensor(self, src, dst) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: src, dst
    st = c_copy_tensor(self%ptr, cstr(src), cstr(dst))
  end function

  integer function client_rename_tensor(self, src, dst) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: src, dst
    st = c_rename_tensor(self%ptr, cstr(src), cstr(dst))
  end function

  integer function client_tensor_exists(self, name, exists) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    logical, intent(out) :: exists
    logical(c_bool) :: ex
    st = c_tensor_exists(self%ptr, cstr(name), ex)
    exists = ex
  end function

  integer function client_poll_tensor(self, name, poll_ms, num_tries, exists) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer, intent(in) :: poll_ms, num_tries
    logical, intent(out) :: exists
    logical(c_bool) :: ex
    st = c_poll_tensor(self%ptr, cstr(name), int(poll_ms, c_int), int(num_tries, c_int), ex)
    exists = ex
  end function

  integer function client_dataset_exists(self, name, exists) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    logical, intent(out) :: exists
    logical(c_bool) :: ex
    st = c_dataset_exists(self%ptr, cstr(name), ex)
    exists = ex
  end function

  integer function client_poll_dataset(self, name, poll_ms, num_tries, exists) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer, intent(in) :: poll_ms, num_tries
    logical, intent(out) :: exists
    logical(c_bool) :: ex
    st = c_poll_dataset(self%ptr, cstr(name), int(poll_ms, c_int), int(num_tries, c_int), ex)
    exists = ex
  end function

  integer function client_delete_dataset(self, name) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    st = c_delete_dataset(self%ptr, cstr(name))
  end function

  integer function client_copy_dataset(self, src, dst) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: src, dst
    st = c_copy_dataset(self%ptr, cstr(src), cstr(dst))
  end function

  integer function client_rename_dataset(self, src, dst) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: src, dst
    st = c_rename_dataset(self%ptr, cstr(src), cstr(dst))
  end function

  integer function client_delete_list(self, name) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    st = c_delete_list(self%ptr, cstr(name))
  end function

  integer function client_copy_list(self, src, dst) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: src, dst
    st = c_copy_list(self%ptr, cstr(src), cstr(dst))
  end function

  integer function client_rename_list(self, src, dst) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: src, dst
    st = c_rename_list(self%ptr, cstr(src), cstr(dst))
  end function

  integer function dataset_initialize(self, name) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: name
    st = c_dataset_create(cstr(name), self%ptr)
  end function

  subroutine dataset_destroy(self)
    class(locus_dataset), intent(inout) :: self
    call c_dataset_destroy(self%ptr)
    self%ptr = c_null_ptr
  end subroutine

  function dataset_name(self) result(s)
    class(locus_dataset), intent(in) :: self
    character(len=:), allocatable :: s
    s = from_c(c_dataset_name(self%ptr))
  end function

  integer function dataset_add_meta_string(self, field, value) result(st)
    class(locus_dataset), intent(inout) :: self
    character(len=*), intent(in) :: field, value
    st = c_dataset_add_meta_string(self%ptr, cstr(field), cstr(value))
  end function

  !> The i-th (1-based) string of a string field.
  integer function dataset_get_meta_string(self, field, i, value) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: field
    integer, intent(in) :: i
    character(len=:), allocatable, intent(out) :: value
    type(c_ptr) :: p
    integer(c_size_t) :: n, count
    st = c_dataset_get_meta_string(self%ptr, cstr(field), int(i - 1, c_size_t), p, n, count)
    if (st == LOCUS_OK) then
       value = from_c(p)
    else
       value = ''
    end if
  end function

  integer function dataset_meta_string_count(self, field, count) result(st)
    class(locus_dataset), intent(in) :: self
    character(len=*), intent(in) :: field
    integer, intent(out) :: count
    type(c_ptr) :: p
    integer(c_size_t) :: n, cnt
    cnt = 0
    st = c_dataset_get_meta_string(self%ptr, cstr(field), 0_c_size_t, p, n, cnt)
    count = int(cnt)
  end function

  integer function client_put_dataset(self, dataset) result(st)
    class(locus_client), intent(inout) :: self
    type(locus_dataset), intent(in) :: dataset
    st = c_put_dataset(self%ptr, dataset%ptr)
  end function

  !> Fetch a dataset; the caller destroys it with dataset%destroy().
  integer function client_get_dataset(self, name, dataset) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    type(locus_dataset), intent(out) :: dataset
    st = c_get_dataset(self%ptr, cstr(name), dataset%ptr)
  end function

  integer function client_append_to_list(self, list, dataset) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: list
    type(locus_dataset), intent(in) :: dataset
    st = c_append_to_list(self%ptr, cstr(list), dataset%ptr)
  end function

  integer function client_get_list_length(self, list, length) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: list
    integer, intent(out) :: length
    integer(c_size_t) :: n
    st = c_get_list_length(self%ptr, cstr(list), n)
    length = int(n)
  end function

  !> Poll until the length compares (LOCUS_CMP_EQ/GE/LE) with length; ok tells whether it did.
  integer function client_poll_list_length(self, list, length, cmp, poll_ms, num_tries, ok) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: list
    integer, intent(in) :: length, cmp, poll_ms, num_tries
    logical, intent(out) :: ok
    logical(c_bool) :: b
    st = c_poll_list_length(self%ptr, cstr(list), int(length, c_size_t), int(cmp, c_int), int(poll_ms, c_int), &
         int(num_tries, c_int), b)
    ok = b
  end function

  !> Entries start..end (0-based, inclusive, negative from the end) as datasets the caller destroys.
  integer function client_get_dataset_list_range(self, list, start, end, datasets) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: list
    integer, intent(in) :: start, end
    type(locus_dataset), allocatable, intent(out) :: datasets(:)
    type(c_ptr) :: arr
    type(c_ptr), pointer :: ptrs(:)
    integer(c_size_t) :: n, i
    st = c_get_dataset_list_range(self%ptr, cstr(list), int(start, c_long), int(end, c_long), arr, n)
    if (st /= LOCUS_OK) then
       allocate(datasets(0))
       return
    end if
    allocate(datasets(n))
    if (n > 0) then
       call c_f_pointer(arr, ptrs, [n])
       do i = 1, n
          datasets(i)%ptr = ptrs(i)
       end do
    end if
    call c_free(arr) ! the array only; each dataset now belongs to the caller
  end function

  integer function client_get_datasets_from_list(self, list, datasets) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: list
    type(locus_dataset), allocatable, intent(out) :: datasets(:)
    st = client_get_dataset_list_range(self, list, 0, -1, datasets)
  end function

  ! ---- models and scripts ----

  subroutine pack_names(names, out)
    character(len=*), intent(in) :: names(:)
    type(c_names), target, intent(out) :: out
    integer :: k, j, n, off
    allocate(out%buf(sum(len_trim(names)) + size(names) + 1))
    allocate(out%ptrs(max(1, size(names))))
    out%ptrs = c_null_ptr
    off = 1
    do k = 1, size(names)
       n = len_trim(names(k))
       do j = 1, n
          out%buf(off + j - 1) = names(k)(j:j)
       end do
       out%buf(off + n) = c_null_char
       out%ptrs(k) = c_loc(out%buf(off))
       off = off + n + 1
    end do
  end subroutine

  !> The bytes at p (n of them) as a string; p is freed.
  function take_bytes(p, n) result(s)
    type(c_ptr), intent(in) :: p
    integer(c_size_t), intent(in) :: n
    character(len=:), allocatable :: s
    character(kind=c_char), pointer :: chars(:)
    integer(c_size_t) :: i
    allocate(character(len=n) :: s)
    if (n > 0) then
       call c_f_pointer(p, chars, [n])
       do i = 1, n
          s(i:i) = chars(i)
       end do
    end if
    call c_free(p)
  end function

  !> Store a model given as the bytes of a string. backend: "TORCH" (also TF, TFLITE, ONNX where the database
  !> has them); device: "CPU", "GPU", "GPU:n". batch_size, min_batch_size, min_batch_timeout (ms), tag, and
  !> the input/output names (TF only) are optional.
  integer function client_set_model(self, name, model, backend, device, batch_size, min_batch_size, &
       min_batch_timeout, tag, inputs, outputs) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, model, backend, device
    integer, intent(in), optional :: batch_size, min_batch_size, min_batch_timeout
    character(len=*), intent(in), optional :: tag
    character(len=*), intent(in), optional :: inputs(:), outputs(:)
    type(c_model_options) :: o
    character(kind=c_char, len=:), allocatable, target :: cb, cd, ct
    type(c_names), target :: ni, no
    call model_options(o, backend, device, cb, cd, ct, ni, no, batch_size, min_batch_size, min_batch_timeout, &
         tag, inputs, outputs)
    st = c_set_model(self%ptr, cstr(name), model, int(len(model), c_size_t), o)
  end function

  !> As set_model, with the model read from a file.
  integer function client_set_model_from_file(self, name, model_file, backend, device, batch_size, &
       min_batch_size, min_batch_timeout, tag, inputs, outputs) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, model_file, backend, device
    integer, intent(in), optional :: batch_size, min_batch_size, min_batch_timeout
    character(len=*), intent(in), optional :: tag
    character(len=*), intent(in), optional :: inputs(:), outputs(:)
    type(c_model_options) :: o
    character(kind=c_char, len=:), allocatable, target :: cb, cd, ct
    type(c_names), target :: ni, no
    call model_options(o, backend, device, cb, cd, ct, ni, no, batch_size, min_batch_size, min_batch_timeout, &
         tag, inputs, outputs)
    st = c_set_model_from_file(self%ptr, cstr(name), cstr(model_file), o)
  end function

  subroutine model_options(o, backend, device, cb, cd, ct, ni, no, batch_size, min_batch_size, &
       min_batch_timeout, tag, inputs, outputs)
    type(c_model_options), intent(out) :: o
    character(len=*), intent(in) :: backend, device
    character(kind=c_char, len=:), allocatable, target, intent(inout) :: cb, cd, ct
    type(c_names), target, intent(inout) :: ni, no
    integer, intent(in), optional :: batch_size, min_batch_size, min_batch_timeout
    character(len=*), intent(in), optional :: tag
    character(len=*), intent(in), optional :: inputs(:), outputs(:)
    cb = cstr(backend)
    cd = cstr(device)
    o%backend = c_loc(cb)
    o%device = c_loc(cd)
    if (present(batch_size)) o%batch_size = batch_size
    if (present(min_batch_size)) o%min_batch_size = min_batch_size
    if (present(min_batch_timeout)) o%min_batch_timeout_ms = min_batch_timeout
    if (present(tag)) then
       ct = cstr(tag)
       o%tag = c_loc(ct)
    end if
    if (present(inputs)) then
       call pack_names(inputs, ni)
       o%inputs = c_loc(ni%ptrs)
       o%n_inputs = size(inputs)
    end if
    if (present(outputs)) then
       call pack_names(outputs, no)
       o%outputs = c_loc(no%ptrs)
       o%n_outputs = size(outputs)
    end if
  end subroutine

  !> The model's bytes as a string.
  integer function client_get_model(self, name, model) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    character(len=:), allocatable, intent(out) :: model
    type(c_ptr) :: p
    integer(c_size_t) :: n
    st = c_get_model(self%ptr, cstr(name), p, n)
    if (st == LOCUS_OK) then
       model = take_bytes(p, n)
    else
       model = ''
    end if
  end function

  integer function client_model_exists(self, name, exists) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    logical, intent(out) :: exists
    logical(c_bool) :: ex
    st = c_model_exists(self%ptr, cstr(name), ex)
    exists = ex
  end function

  integer function client_delete_model(self, name) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    st = c_delete_model(self%ptr, cstr(name))
  end function

  !> Run a model on tensors: inputs read, outputs written (names, trailing blanks ignored).
  integer function client_run_model(self, name, inputs, outputs) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, inputs(:), outputs(:)
    type(c_names), target :: ni, no
    call pack_names(inputs, ni)
    call pack_names(outputs, no)
    st = c_run_model(self%ptr, cstr(name), ni%ptrs, int(size(inputs), c_size_t), no%ptrs, &
         int(size(outputs), c_size_t))
  end function

  !> Store a TorchScript script given as source text for device "CPU", "GPU" or "GPU:n".
  integer function client_set_script(self, name, device, script) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, device, script
    st = c_set_script(self%ptr, cstr(name), cstr(device), script // c_null_char)
  end function

  integer function client_set_script_from_file(self, name, device, script_file) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, device, script_file
    st = c_set_script_from_file(self%ptr, cstr(name), cstr(device), cstr(script_file))
  end function

  !> The script's source.
  integer function client_get_script(self, name, script) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    character(len=:), allocatable, intent(out) :: script
    type(c_ptr) :: p
    st = c_get_script(self%ptr, cstr(name), p)
    if (st == LOCUS_OK) then
       script = take_bytes(p, c_strlen(p))
    else
       script = ''
    end if
  end function

  integer function client_script_exists(self, name, exists) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    logical, intent(out) :: exists
    logical(c_bool) :: ex
    st = c_script_exists(self%ptr, cstr(name), ex)
    exists = ex
  end function

  integer function client_delete_script(self, name) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    st = c_delete_script(self%ptr, cstr(name))
  end function

  !> Run one function of a script on tensors.
  integer function client_run_script(self, name, func, inputs, outputs) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, func, inputs(:), outputs(:)
    type(c_names), target :: ni, no
    call pack_names(inputs, ni)
    call pack_names(outputs, no)
    st = c_run_script(self%ptr, cstr(name), cstr(func), ni%ptrs, int(size(inputs), c_size_t), no%ptrs, &
         int(size(outputs), c_size_t))
  end function


  !> The hash tag ("{tag}", '' for a standalone database) that puts tensor names on the shard holding tensor
  !> `near` (read prefix applied); without near, the first shard. Runs on such tensors need no copies.
  integer function client_colocation_tag(self, tag, near) result(st)
    class(locus_client), intent(inout) :: self
    character(len=:), allocatable, intent(out) :: tag
    character(len=*), intent(in), optional :: near
    character(kind=c_char, len=:), allocatable, target :: cn
    character(kind=c_char) :: buf(64)
    integer :: i
    if (present(near)) then
       cn = cstr(near)
       st = c_colocation_tag(self%ptr, c_loc(cn), buf, int(size(buf), c_size_t))
    else
       st = c_colocation_tag(self%ptr, c_null_ptr, buf, int(size(buf), c_size_t))
    end if
    tag = ''
    if (st /= LOCUS_OK) return
    do i = 1, size(buf)
       if (buf(i) == c_null_char) exit
       tag = tag // buf(i)
    end do
  end function

  ! ---- several GPUs per node (SmartRedis's *_multigpu calls; see locus.h) ----

  !> A copy of the model per GPU first_gpu .. first_gpu + num_gpus - 1 ("<name>.GPU:<n>"), and "<name>" on GPU.
  integer function client_set_model_multigpu(self, name, model, backend, first_gpu, num_gpus, batch_size, &
       min_batch_size, min_batch_timeout, tag, inputs, outputs) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, model, backend
    integer, intent(in) :: first_gpu, num_gpus
    integer, intent(in), optional :: batch_size, min_batch_size, min_batch_timeout
    character(len=*), intent(in), optional :: tag
    character(len=*), intent(in), optional :: inputs(:), outputs(:)
    type(c_model_options) :: o
    character(kind=c_char, len=:), allocatable, target :: cb, cd, ct
    type(c_names), target :: ni, no
    call model_options(o, backend, 'GPU', cb, cd, ct, ni, no, batch_size, min_batch_size, min_batch_timeout, &
         tag, inputs, outputs)
    st = c_set_model_multigpu(self%ptr, cstr(name), model, int(len(model), c_size_t), o, int(first_gpu, c_int), &
         int(num_gpus, c_int))
  end function

  integer function client_set_model_from_file_multigpu(self, name, model_file, backend, first_gpu, num_gpus, &
       batch_size, min_batch_size, min_batch_timeout, tag, inputs, outputs) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, model_file, backend
    integer, intent(in) :: first_gpu, num_gpus
    integer, intent(in), optional :: batch_size, min_batch_size, min_batch_timeout
    character(len=*), intent(in), optional :: tag
    character(len=*), intent(in), optional :: inputs(:), outputs(:)
    type(c_model_options) :: o
    character(kind=c_char, len=:), allocatable, target :: cb, cd, ct
    type(c_names), target :: ni, no
    call model_options(o, backend, 'GPU', cb, cd, ct, ni, no, batch_size, min_batch_size, min_batch_timeout, &
         tag, inputs, outputs)
    st = c_set_model_from_file_multigpu(self%ptr, cstr(name), cstr(model_file), o, int(first_gpu, c_int), &
         int(num_gpus, c_int))
  end function

  integer function client_set_script_multigpu(self, name, script, first_gpu, num_gpus) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, script
    integer, intent(in) :: first_gpu, num_gpus
    st = c_set_script_multigpu(self%ptr, cstr(name), script // c_null_char, int(first_gpu, c_int), &
         int(num_gpus, c_int))
  end function

  integer function client_set_script_from_file_multigpu(self, name, script_file, first_gpu, num_gpus) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, script_file
    integer, intent(in) :: first_gpu, num_gpus
    st = c_set_script_from_file_multigpu(self%ptr, cstr(name), cstr(script_file), int(first_gpu, c_int), &
         int(num_gpus, c_int))
  end function

  !> Run on GPU first_gpu + mod(offset, num_gpus) (pass the rank as offset).
  integer function client_run_model_multigpu(self, name, inputs, outputs, offset, first_gpu, num_gpus) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, inputs(:), outputs(:)
    integer, intent(in) :: offset, first_gpu, num_gpus
    type(c_names), target :: ni, no
    call pack_names(inputs, ni)
    call pack_names(outputs, no)
    st = c_run_model_multigpu(self%ptr, cstr(name), ni%ptrs, int(size(inputs), c_size_t), no%ptrs, &
         int(size(outputs), c_size_t), int(offset, c_int), int(first_gpu, c_int), int(num_gpus, c_int))
  end function

  integer function client_run_script_multigpu(self, name, func, inputs, outputs, offset, first_gpu, num_gpus) &
       result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name, func, inputs(:), outputs(:)
    integer, intent(in) :: offset, first_gpu, num_gpus
    type(c_names), target :: ni, no
    call pack_names(inputs, ni)
    call pack_names(outputs, no)
    st = c_run_script_multigpu(self%ptr, cstr(name), cstr(func), ni%ptrs, int(size(inputs), c_size_t), no%ptrs, &
         int(size(outputs), c_size_t), int(offset, c_int), int(first_gpu, c_int), int(num_gpus, c_int))
  end function

  integer function client_delete_model_multigpu(self, name, first_gpu, num_gpus) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer, intent(in) :: first_gpu, num_gpus
    st = c_delete_model_multigpu(self%ptr, cstr(name), int(first_gpu, c_int), int(num_gpus, c_int))
  end function

  integer function client_delete_script_multigpu(self, name, first_gpu, num_gpus) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: name
    integer, intent(in) :: first_gpu, num_gpus
    st = c_delete_script_multigpu(self%ptr, cstr(name), int(first_gpu, c_int), int(num_gpus, c_int))
  end function

  ! ---- administration (one database node, by address "host:port") ----

  !> FLUSHDB on the node at address.
  integer function client_flush_db(self, address) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: address
    st = c_flush_db(self%ptr, cstr(address))
  end function

  !> SAVE on the node at address.
  integer function client_save(self, address) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: address
    st = c_save(self%ptr, cstr(address))
  end function

  !> CONFIG SET param value on the node at address.
  integer function client_config_set(self, param, value, address) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: param, value, address
    st = c_config_set(self%ptr, cstr(param), cstr(value), cstr(address))
  end function

  !> CONFIG GET expression on the node at address: (parameter, value) pairs in info.
  integer function client_config_get(self, expression, address, info) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: expression, address
    type(locus_info), intent(inout) :: info
    call info%destroy()
    st = c_config_get(self%ptr, cstr(expression), cstr(address), info%ptr)
  end function

  !> INFO of the node at address, by section ("Server", "Memory", ...).
  integer function client_get_db_node_info(self, address, info) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: address
    type(locus_info), intent(inout) :: info
    call info%destroy()
    st = c_get_db_node_info(self%ptr, cstr(address), info%ptr)
  end function

  !> CLUSTER INFO of the node at address (a clustered database only).
  integer function client_get_db_cluster_info(self, address, info) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: address
    type(locus_info), intent(inout) :: info
    call info%destroy()
    st = c_get_db_cluster_info(self%ptr, cstr(address), info%ptr)
  end function

  !> AI.INFO of model or script `name` as the node at address holds it (key, type, backend, device, tag,
  !> duration, samples, calls, errors); reset_stat restarts its counters (the table is then empty).
  integer function client_get_ai_info(self, address, name, reset_stat, info) result(st)
    class(locus_client), intent(inout) :: self
    character(len=*), intent(in) :: address, name
    logical, intent(in) :: reset_stat
    type(locus_info), intent(inout) :: info
    call info%destroy()
    st = c_get_ai_info(self%ptr, cstr(address), cstr(name), logical(reset_stat, c_bool), info%ptr)
  end function

  !> Number of entries.
  integer function info_count(self) result(n)
    class(locus_info), intent(in) :: self
    n = int(c_info_count(self%ptr))
  end function

  !> Entry i (1-based).
  integer function info_entry(self, i, section, key, value) result(st)
    class(locus_info), intent(in) :: self
    integer, intent(in) :: i
    character(len=:), allocatable, intent(out) :: section, key, value
    type(c_ptr) :: ps, pk, pv
    st = c_info_entry(self%ptr, int(i - 1, c_size_t), ps, pk, pv)
    if (st == LOCUS_OK) then
       section = from_c(ps)
       key = from_c(pk)
       value = from_c(pv)
    else
       section = ''
       key = ''
       value = ''
    end if
  end function

  !> The value of key in section ('' section: any); found is false (and value '') when absent.
  subroutine info_get(self, section, key, value, found)
    class(locus_info), intent(in) :: self
    character(len=*), intent(in) :: section, key
    character(len=:), allocatable, intent(out) :: value
    logical, intent(out) :: found
    character(kind=c_char, len=:), allocatable, target :: sec
    type(c_ptr) :: p
    if (len_trim(section) > 0) then
       sec = cstr(section)
       p = c_info_get(self%ptr, c_loc(sec), cstr(key))
    else
       p = c_info_get(self%ptr, c_null_ptr, cstr(key))
    end if
    found = c_associated(p)
    value = from_c(p)
  end subroutine

  subroutine info_destroy(self)
    class(locus_info), intent(inout) :: self
    if (c_associated(self%ptr)) call c_info_destroy(self%ptr)
    self%ptr = c_null_ptr
  end subroutine

end module locus
